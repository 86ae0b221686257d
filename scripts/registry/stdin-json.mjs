// Shared by the registered scripts: read all of stdin and parse it as JSON.
export async function readParameters() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  return text.trim() ? JSON.parse(text) : {};
}
