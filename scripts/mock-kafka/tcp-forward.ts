import { connect, Socket } from 'node:net';

/**
 * Joins an accepted connection to a new one to host:port, byte for byte, and tracks both in
 * `sockets` so the owner can cut them all. Either side closing or failing closes both.
 */
export function forwardConnection(client: Socket, host: string, port: number, sockets: Set<Socket>): void {
  const upstream = connect(port, host);
  sockets.add(client).add(upstream);
  const close = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
}
