// Placeholder for scripts whose part is not built yet; says so plainly instead of failing obscurely.
const what = process.argv[2] ?? "this command";
console.log(`Loa: "npm run ${what}" is not built yet. See README.md and the open issues for progress.`);
