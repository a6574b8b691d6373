/**
 * The null sink bench:ingest compares privpath against: a bare `node:http` server that reads each
 * request's body and answers 200, nothing else. What loopback HTTP and the client cost on this
 * machine, the ceiling any OTLP receiver here works under. Run as a child (`node --import tsx
 * bench/ingest/null-sink.ts`) so it has a core of its own, like the `privpath up` it stands beside;
 * it prints its port on stdout.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    // The body in one piece, as a receiver would need it; then an empty OTLP answer.
    Buffer.concat(chunks)
    response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 })
    response.end()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })))
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
