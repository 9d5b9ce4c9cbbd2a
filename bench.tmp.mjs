import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
const url = process.argv[2]; const name = process.argv[3];
const client = new Client({ name: 'smoke', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
for (let i = 0; i < 50; i++) await client.callTool({ name, arguments: { message: 'x' } });
const t = []; for (let i = 0; i < 300; i++) { const t0 = performance.now(); await client.callTool({ name, arguments: { message: 'x' } }); t.push(performance.now()-t0); }
t.sort((a,b)=>a-b); console.log(url, 'p50', t[150].toFixed(2), 'p99', t[297].toFixed(2));
await client.close();
