// Reads a jupyter-sse stream with the `eventsource` npm package, a client that is not
// ours, and prints one JSON line per event. It reconnects by itself (with
// Last-Event-ID) whenever the server ends the stream, like a browser would.
// Usage: JS_DIR=<js folder> node eventsource-reader.mjs URL TOKEN COUNT
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.JS_DIR, "package.json"));
const { EventSource } = require("eventsource");

const [url, token, count] = process.argv.slice(2);
let metrics = 0;
const source = new EventSource(url, {
  fetch: (input, init) =>
    fetch(input, { ...init, headers: { ...init.headers, Authorization: `token ${token}` } }),
});
source.addEventListener("open", () => console.log(JSON.stringify({ type: "open" })));
for (const type of ["snapshot", "reset", "metric"]) {
  source.addEventListener(type, (event) => {
    console.log(JSON.stringify({ type, id: event.lastEventId, data: JSON.parse(event.data) }));
    if (type === "metric" && ++metrics === Number(count)) {
      source.close();
      process.exit(0);
    }
  });
}
setTimeout(() => {
  console.error("timed out");
  process.exit(2);
}, 30000);
