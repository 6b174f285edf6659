"""config.py: flags > environment > config file > defaults; file discovery; errors that name
the key and the file; paths relative to the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexnow_sync.config import Config, load_config
from indexnow_sync.errors import ConfigError


def write_config(folder: Path, text: str, name: str = "indexnow.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_source(tmp_path: Path) -> None:
    config = load_config({}, {}, tmp_path)
    assert config == Config()
    assert config.endpoint is None  # the default chain: indexnow, then bing, then yandex
    assert config.max_urls == 10_000
    assert config.include_removed is None  # not said: removed URLs sent when checked gone
    assert config.sends_removed is True
    assert (config.check, config.check_concurrency) == ("pages", 8)
    assert config.robots_agent == ("bingbot", "YandexBot")
    assert config.config_file is None


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "site: https://file.example\nendpoint: bing\nmax-urls: 500\nlive: https://file.example/s.xml\n",
    )
    env = {"INDEXNOW_SITE": "https://env.example", "INDEXNOW_ENDPOINT": "yandex"}
    config = load_config({"site": "https://flag.example"}, env, tmp_path)
    assert config.site == "https://flag.example"  # flag beats env and file
    assert config.endpoint == "yandex"  # env beats file
    assert config.max_urls == 500  # file beats default
    assert config.live == "https://file.example/s.xml"
    assert config.timeout == Config().timeout  # default


@pytest.mark.parametrize(
    ("file_text", "env", "flags", "live", "baseline"),
    [
        # The command line's --live beats a baseline from the file or the environment...
        ("baseline: base.xml\n", {}, {"live": "https://f.example/s.xml"}, True, False),
        ("", {"INDEXNOW_BASELINE": "b.xml"}, {"live": "https://f.example/s.xml"}, True, False),
        # ... and its --baseline beats a live URL from them.
        ("live: https://f.example/s.xml\n", {}, {"baseline": "b.xml"}, False, True),
        ("", {"INDEXNOW_LIVE": "https://f.example/s.xml"}, {"baseline": "b.xml"}, False, True),
        # The environment beats the file the same way, in both directions.
        ("baseline: base.xml\n", {"INDEXNOW_LIVE": "https://f.example/s.xml"}, {}, True, False),
        ("live: https://f.example/s.xml\n", {"INDEXNOW_BASELINE": "b.xml"}, {}, False, True),
    ],
)
def test_live_and_baseline_are_one_choice_taken_from_the_strongest_source(
    tmp_path: Path,
    file_text: str,
    env: dict[str, str],
    flags: dict[str, str],
    live: bool,
    baseline: bool,
) -> None:
    # SPEC: [--live URL | --baseline FILE], and command line > environment > config file.
    # A baseline in indexnow.yml once silently beat `--live` on the command line.
    write_config(tmp_path, file_text)
    config = load_config(flags, env, tmp_path)
    assert (config.live is not None, config.baseline is not None) == (live, baseline)


@pytest.mark.parametrize(
    ("file_text", "env", "flags", "named"),
    [
        ("", {}, {"live": "https://f.example/s.xml", "baseline": "b.xml"}, "--live and --baseline"),
        (
            "",
            {"INDEXNOW_LIVE": "https://f.example/s.xml", "INDEXNOW_BASELINE": "b.xml"},
            {},
            "INDEXNOW_LIVE and INDEXNOW_BASELINE",
        ),
        ("live: https://f.example/s.xml\nbaseline: b.xml\n", {}, {}, "'live' and 'baseline'"),
    ],
)
def test_live_and_baseline_from_one_source_are_a_usage_error(
    tmp_path: Path, file_text: str, env: dict[str, str], flags: dict[str, str], named: str
) -> None:
    write_config(tmp_path, file_text)
    with pytest.raises(ConfigError) as caught:
        load_config(flags, env, tmp_path)
    assert named in caught.value.message
    assert caught.value.exit_code == 2


def test_a_flag_given_as_none_does_not_override(tmp_path: Path) -> None:
    config = load_config({"site": None}, {"INDEXNOW_SITE": "https://env.example"}, tmp_path)
    assert config.site == "https://env.example"


def test_empty_env_value_is_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, "site: https://file.example\n")
    assert load_config({}, {"INDEXNOW_SITE": ""}, tmp_path).site == "https://file.example"


@pytest.mark.parametrize(
    ("name", "value", "field", "expected"),
    [
        ("INDEXNOW_KEY", "abcdef0123456789", "key", "abcdef0123456789"),
        (
            "INDEXNOW_KEY_LOCATION",
            "https://s.example/k.txt",
            "key_location",
            "https://s.example/k.txt",
        ),
        ("INDEXNOW_SITE", "https://s.example", "site", "https://s.example"),
        ("INDEXNOW_LIVE", "https://s.example/sitemap.xml", "live", "https://s.example/sitemap.xml"),
        ("INDEXNOW_ENDPOINT", "seznam", "endpoint", "seznam"),
        ("INDEXNOW_INCLUDE_REMOVED", "true", "include_removed", True),
        ("INDEXNOW_INCLUDE_REMOVED", "0", "include_removed", False),
        ("INDEXNOW_DRY_RUN", "yes", "dry_run", True),
        ("INDEXNOW_MAX_URLS", "25000", "max_urls", 25_000),
        ("INDEXNOW_BUILD", "dist", "build", Path("dist")),
    ],
)
def test_environment_names(
    tmp_path: Path, name: str, value: str, field: str, expected: object
) -> None:
    config = load_config({}, {name: value}, tmp_path)
    assert getattr(config, field) == expected


@pytest.mark.parametrize(
    ("file_text", "env", "flags"),
    [
        ("endpoint: indexnow, bing\n", {}, {}),
        ("endpoint: [indexnow, bing]\n", {}, {}),
        ("", {"INDEXNOW_ENDPOINT": " indexnow ,bing"}, {}),
        ("endpoint: yandex\n", {}, {"endpoint": "indexnow,bing"}),
    ],
)
def test_endpoints_to_fall_back_on_from_every_source(
    tmp_path: Path, file_text: str, env: dict[str, str], flags: dict[str, str]
) -> None:
    write_config(tmp_path, file_text)
    assert load_config(flags, env, tmp_path).endpoint == "indexnow,bing"


@pytest.mark.parametrize("value", ["bing,,yandex", "bing,", "bing,ftp://x.example/indexnow", "[]"])
def test_a_broken_endpoint_list_names_the_key(tmp_path: Path, value: str) -> None:
    write_config(tmp_path, f"endpoint: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert "'endpoint'" in caught.value.message


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({}, {"INDEXNOW_MAX_URLS": "lots"}, tmp_path)
    assert "INDEXNOW_MAX_URLS" in str(caught.value)
    assert caught.value.exit_code == 2


def test_indexnow_yml_is_found_in_the_working_folder(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site: https://plain.example\n")
    config = load_config({}, {}, tmp_path)
    assert config.site == "https://plain.example"
    assert config.config_file == path


def test_dot_indexnow_yml_is_found_too(tmp_path: Path) -> None:
    write_config(tmp_path, "site: https://dot.example\n", ".indexnow.yml")
    assert load_config({}, {}, tmp_path).site == "https://dot.example"


def test_indexnow_yml_wins_over_the_dotted_name(tmp_path: Path) -> None:
    write_config(tmp_path, "site: https://plain.example\n")
    write_config(tmp_path, "site: https://dot.example\n", ".indexnow.yml")
    assert load_config({}, {}, tmp_path).site == "https://plain.example"


def test_explicit_config_replaces_discovery(tmp_path: Path) -> None:
    write_config(tmp_path, "site: https://plain.example\n")
    other = tmp_path / "ci"
    other.mkdir()
    path = write_config(other, "site: https://ci.example\n", "custom.yaml")
    config = load_config({}, {}, tmp_path, config_path=path)
    assert config.site == "https://ci.example"
    assert config.config_file == path


def test_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file") as caught:
        load_config({}, {}, tmp_path, config_path=tmp_path / "missing.yml")
    assert "missing.yml" in str(caught.value)


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site: https://s.example\nmax-url: 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert "max-url" in str(caught.value)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("max-urls: many\n", "max-urls"),
        ("max-urls: 0\n", "max-urls"),
        ("max-urls: true\n", "max-urls"),
        ("include-removed: 3\n", "include-removed"),
        ("site: [https://a.example]\n", "site"),
        ("timeout: -1\n", "timeout"),
    ],
)
def test_wrong_type_names_the_key_and_the_file(tmp_path: Path, text: str, key: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert f"'{key}'" in str(caught.value)
    assert str(path) in str(caught.value)


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "site: https://s.example\nendpoint: [bing\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert str(path) in str(caught.value)
    assert "line" in str(caught.value)


def test_a_yaml_list_is_not_a_config(tmp_path: Path) -> None:
    write_config(tmp_path, "- site\n- build\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config({}, {}, tmp_path)


def test_empty_config_file_means_defaults(tmp_path: Path) -> None:
    path = write_config(tmp_path, "# nothing yet\n")
    config = load_config({}, {}, tmp_path)
    assert config == Config(config_file=path)


def test_relative_paths_in_the_file_are_relative_to_its_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = write_config(project, "build: dist\nbaseline: ../cache/sitemap.xml\n", "cfg.yml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = load_config({}, {}, elsewhere, config_path=path)
    assert config.build == (project / "dist").resolve()
    assert config.baseline == (tmp_path / "cache" / "sitemap.xml").resolve()


def test_absolute_paths_in_the_file_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out" / "public"
    write_config(tmp_path, f"build: {target}\n")
    assert load_config({}, {}, tmp_path).build == target


def test_flag_paths_are_not_rebased_onto_the_config_folder(tmp_path: Path) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    path = write_config(sub, "build: dist\n")
    config = load_config({"build": "public"}, {}, tmp_path, config_path=path)
    assert config.build == Path("public")


def test_typed_values_from_the_file(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "include-removed: true\nmax-urls: 20000\ntimeout: 2.5\nkey-location: https://s.example/k/k.txt\n",
    )
    config = load_config({}, {}, tmp_path)
    assert config.include_removed is True
    assert config.max_urls == 20_000
    assert config.timeout == 2.5
    assert config.key_location == "https://s.example/k/k.txt"


def test_a_key_in_the_config_file_is_never_echoed(tmp_path: Path) -> None:
    write_config(tmp_path, "key: 1234567890123456\n")
    try:
        config = load_config({}, {}, tmp_path)
    except ConfigError as exc:
        assert "1234567890123456" not in str(exc)
    else:
        assert config.key == "1234567890123456"


def test_a_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--max-urls"):
        load_config({"max-urls": 0}, {}, tmp_path)


# --- the checks before submitting (issue 13) ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "check", "agents", "concurrency"),
    [
        ("check: robots\n", "robots", ("bingbot", "YandexBot"), 8),
        ("check: off\n", "off", ("bingbot", "YandexBot"), 8),  # YAML reads off as false
        ("check: Pages\ncheck-concurrency: 16\n", "pages", ("bingbot", "YandexBot"), 16),
        ("robots-agent: [bingbot]\n", "pages", ("bingbot",), 8),
        ("robots-agent: 'bingbot, SeznamBot'\n", "pages", ("bingbot", "SeznamBot"), 8),
        ("robots-agent:\n  - YandexBot\n  - YandexBot\n", "pages", ("YandexBot",), 8),
    ],
)
def test_check_keys_from_the_file(
    tmp_path: Path, text: str, check: str, agents: tuple[str, ...], concurrency: int
) -> None:
    write_config(tmp_path, text)
    config = load_config({}, {}, tmp_path)
    assert (config.check, config.robots_agent, config.check_concurrency) == (
        check,
        agents,
        concurrency,
    )


def test_check_keys_from_the_environment_and_flags(tmp_path: Path) -> None:
    env = {
        "INDEXNOW_CHECK": "robots",
        "INDEXNOW_CHECK_CONCURRENCY": "3",
        "INDEXNOW_ROBOTS_AGENT": "bingbot,YandexBot, SeznamBot",
    }
    config = load_config({}, env, tmp_path)
    assert config.check == "robots" and config.check_concurrency == 3
    assert config.robots_agent == ("bingbot", "YandexBot", "SeznamBot")
    flags = {"check": "off", "robots-agent": ("Naver",)}
    config = load_config(flags, env, tmp_path)
    assert config.check == "off" and config.robots_agent == ("Naver",)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("check: everything\n", "check"),
        ("check-concurrency: 0\n", "check-concurrency"),
        ("check-concurrency: 1000\n", "check-concurrency"),
        ("robots-agent: []\n", "robots-agent"),
        ("robots-agent: {a: 1}\n", "robots-agent"),
        ("robots-agent: ['bad: name']\n", "robots-agent"),
    ],
)
def test_bad_check_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert key in caught.value.message and "indexnow.yml" in caught.value.message


@pytest.mark.parametrize(
    ("text", "env", "check", "sends"),
    [
        ("", {}, "pages", True),  # not said: sent when the page check shows them gone
        ("", {}, "robots", False),  # cannot be verified: only when asked for
        ("", {}, "off", False),
        ("include-removed: true\n", {}, "off", True),
        ("include-removed: false\n", {}, "pages", False),
        ("include-removed: true\n", {"INDEXNOW_INCLUDE_REMOVED": "false"}, "pages", False),
    ],
)
def test_include_removed_is_three_valued(
    tmp_path: Path, text: str, env: dict[str, str], check: str, sends: bool
) -> None:
    write_config(tmp_path, text + f"check: {check}\n")
    assert load_config({}, env, tmp_path).sends_removed is sends


# --- issue 20: what decides "changed" ------------------------------------------------------


def test_content_options_defaults() -> None:
    config = Config()
    assert config.changed_by == "content" and config.by_content
    assert config.ignore == ()
    assert config.manifest_name == "indexnow-fingerprints.json"


@pytest.mark.parametrize(
    ("file_text", "env", "flags", "changed_by", "ignore", "manifest"),
    [
        ("changed-by: LASTMOD\n", {}, {}, "lastmod", (), "indexnow-fingerprints.json"),
        ("ignore: ['.built-at', '#related']\n", {}, {}, "content", (".built-at", "#related"), None),
        # One string: a selector per line; a comma inside a line is CSS's own "or".
        (
            "ignore: |\n  .built-at\n  div.a, div.b\n",
            {},
            {},
            "content",
            (".built-at", "div.a, div.b"),
            None,
        ),
        ("", {"INDEXNOW_IGNORE": ".x\n\n#y\n"}, {}, "content", (".x", "#y"), None),
        ("ignore: [.x]\n", {}, {"ignore": (".z",)}, "content", (".z",), None),
        ("fingerprints: off\n", {}, {}, "content", (), "off"),
        ("fingerprints: false\n", {}, {}, "content", (), "off"),
        ("", {"INDEXNOW_FINGERPRINTS": "fp.json.gz"}, {}, "content", (), "fp.json.gz"),
        ("", {"INDEXNOW_CHANGED_BY": "lastmod"}, {"changed-by": "content"}, "content", (), None),
    ],
)
def test_content_options_from_every_source(
    tmp_path: Path,
    file_text: str,
    env: dict[str, str],
    flags: dict[str, object],
    changed_by: str,
    ignore: tuple[str, ...],
    manifest: str | None,
) -> None:
    write_config(tmp_path, file_text)
    config = load_config(flags, env, tmp_path)
    assert config.changed_by == changed_by
    assert config.ignore == ignore
    if manifest is not None:
        assert config.fingerprints == manifest
        assert config.manifest_name == (None if manifest == "off" else manifest)


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        ({"changed-by": "bytes"}, "--changed-by: expected one of content, lastmod"),
        ({"ignore": ("p::before",)}, "--ignore: 'p::before' is not a CSS selector"),
        ({"ignore": ("div[",)}, "--ignore: 'div[' is not a CSS selector"),
        ({"fingerprints": "../outside.json"}, "--fingerprints: expected a file name"),
        ({"fingerprints": "a\\b.json"}, "--fingerprints: expected a file name"),
        ({"fingerprints": ".."}, "--fingerprints: expected a file name"),
        # The name is also the last part of the manifest's URL: nothing a URL path escapes.
        ({"fingerprints": "my manifest.json"}, "--fingerprints: expected a file name"),
        ({"fingerprints": "fp.json?v=1"}, "--fingerprints: expected a file name"),
        ({"fingerprints": "fp#1.json"}, "--fingerprints: expected a file name"),
        ({"fingerprints": "fp%20.json"}, "--fingerprints: expected a file name"),
    ],
)
def test_bad_content_options_name_the_option(
    tmp_path: Path, flags: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(flags, {}, tmp_path)
    assert str(caught.value).startswith(says)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "name", ["index.html", "5e2b8d1f3a7c9e0b4d6f8a1c3e5b7d9f.txt", "robots.txt", "fp.gz", "fp"]
)
def test_a_manifest_name_a_site_serves_as_another_file_is_refused(
    tmp_path: Path, name: str
) -> None:
    # Black-box review 20r, finding 7: a build without that file yet took `index.html` (or
    # the key file's name) and the deployed site served the manifest's JSON as the home page.
    for given in ({"flags": {"fingerprints": name}}, {"env": {"INDEXNOW_FINGERPRINTS": name}}):
        with pytest.raises(ConfigError) as caught:
            load_config(given.get("flags", {}), given.get("env", {}), tmp_path)
        error = caught.value
        assert error.exit_code == 2
        assert error.what.endswith(f"is not a name ending in .json or .json.gz (got {name!r})")
        assert "served from the build folder by that name" in error.cause
        assert error.fix.startswith("name it NAME.json (gzipped: NAME.json.gz)")


@pytest.mark.parametrize("name", ["fp.json", "fp.JSON", "fp.json.gz", "indexnow-fingerprints.json"])
def test_a_json_manifest_name_is_taken(tmp_path: Path, name: str) -> None:
    assert load_config({"fingerprints": name}, {}, tmp_path).manifest_name == name


def test_a_bad_selector_among_several_is_named_not_the_list(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({"ignore": (".ok", "p::before")}, {}, tmp_path)
    assert str(caught.value).startswith("--ignore: 'p::before' is not a CSS selector")
    assert "(got a tuple)" not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load_config({}, {"INDEXNOW_IGNORE": ".a\np::after"}, tmp_path)
    assert "'p::after' is not a CSS selector" in str(caught.value)
    assert "(got '.a\\np::after')" not in str(caught.value)


def test_an_item_of_the_wrong_type_is_named_by_its_place(tmp_path: Path) -> None:
    path = write_config(tmp_path, "ignore: ['.ok', ['.nested']]\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert str(caught.value).startswith(
        f"{path}: key 'ignore': item 2: expected a non-empty string (got a list)"
    )
    path = write_config(tmp_path, "robots-agent: [bingbot, 7.5]\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert str(caught.value).startswith(f"{path}: key 'robots-agent': item 2:")


def test_a_bad_selector_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, "ignore: ['.ok', 'a >']\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    assert str(caught.value).startswith(f"{path}: key 'ignore': 'a >' is not a CSS selector")


@pytest.mark.parametrize(
    ("selector", "first", "fix"),
    [
        ("a:hover", "'a:hover' uses :hover, a state of a page in a browser", "leave :hover out"),
        ("body.home", "'body.home' would remove the whole page (its <body>)", "the part that"),
        ("html > *", "'html > *' would remove the whole page (its <body>)", "'.built-at'"),
    ],
)
def test_a_selector_that_cannot_mean_a_part_of_a_built_page_names_the_key_and_the_fix(
    tmp_path: Path, selector: str, first: str, fix: str
) -> None:
    path = write_config(tmp_path, f"ignore: ['.ok', '{selector}']\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    what, *_, last = str(caught.value).splitlines()
    assert what.startswith(f"{path}: key 'ignore': {first}")
    assert last.startswith("fix: ") and fix in last
    path.unlink()
    with pytest.raises(ConfigError) as caught:
        load_config({"ignore": (selector,)}, {}, tmp_path)
    assert str(caught.value).startswith(f"--ignore: {first}")


# --- issue 18: --fix-lastmod ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_text", "env", "flags", "fix"),
    [
        ("", {}, {}, False),
        ("fix-lastmod: true\n", {}, {}, True),
        ("", {"INDEXNOW_FIX_LASTMOD": "1"}, {}, True),
        ("fix-lastmod: true\n", {"INDEXNOW_FIX_LASTMOD": "false"}, {}, False),
        ("", {"INDEXNOW_FIX_LASTMOD": "true"}, {"fix-lastmod": False}, False),
        ("fix-lastmod: false\n", {}, {"fix-lastmod": True}, True),
    ],
)
def test_fix_lastmod_from_every_source(
    tmp_path: Path, file_text: str, env: dict[str, str], flags: dict[str, object], fix: bool
) -> None:
    write_config(tmp_path, file_text)
    assert load_config(flags, env, tmp_path).fix_lastmod is fix


def test_a_bad_fix_lastmod_value_names_its_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({}, {"INDEXNOW_FIX_LASTMOD": "sometimes"}, tmp_path)
    assert str(caught.value).startswith("environment INDEXNOW_FIX_LASTMOD")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("key_location: https://s.example/k.txt\n", "key-location"),
        ("fix_lastmod: yes\n", "fix-lastmod"),
        ("robots_agent: [bingbot]\n", "robots-agent"),
        ("max-url: 5\n", "max-urls"),
    ],
)
def test_a_key_spelt_unlike_its_option_is_refused_with_the_one_meant(
    tmp_path: Path, text: str, meant: str
) -> None:
    # Found by review: `key_location` (underscore) was read as key-location although keys
    # mirror the long options (SPEC "Config") and the README documents no other spelling.
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config({}, {}, tmp_path)
    raw = text.split(":")[0]
    assert caught.value.what == f"{path}: unknown key '{raw}'"
    assert caught.value.fix == f"did you mean '{meant}'?"


def test_both_config_names_in_the_folder_warn_which_one_is_read(tmp_path: Path) -> None:
    # Found by review: with indexnow.yml and .indexnow.yml side by side, .indexnow.yml was
    # ignored without a word.
    write_config(tmp_path, "max-urls: 5\n")
    write_config(tmp_path, "max-urls: 7\n", name=".indexnow.yml")
    config = load_config({}, {}, tmp_path)
    assert config.max_urls == 5
    assert config.warnings == (
        f"{tmp_path} holds both indexnow.yml and .indexnow.yml: only indexnow.yml is read, "
        ".indexnow.yml is ignored (merge them into one, or pass --config)",
    )
    # One of them, or a file named by --config or INDEXNOW_CONFIG: nothing to warn about.
    named = load_config({}, {}, tmp_path, config_path=tmp_path / ".indexnow.yml")
    assert (named.max_urls, named.warnings) == (7, ())
    from_env = load_config({}, {"INDEXNOW_CONFIG": "indexnow.yml"}, tmp_path)
    assert from_env.warnings == ()
    (tmp_path / "indexnow.yml").unlink()
    assert load_config({}, {}, tmp_path).warnings == ()
