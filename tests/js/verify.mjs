// Verify one delivery with the official JavaScript library:
// node verify.mjs SECRET < {"body": "...", "headers": {...}}; exit 0 when it verifies.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { body, headers } = JSON.parse(input);
try {
  const payload = new Webhook(process.argv[2]).verify(body, headers);
  process.stdout.write(JSON.stringify(payload));
} catch (error) {
  process.stderr.write(String(error));
  process.exit(1);
}
