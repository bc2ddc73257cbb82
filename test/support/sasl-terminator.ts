import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, createServer, Server, Socket } from 'node:net';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const UNSUPPORTED_SASL_MECHANISM = 33;
const SASL_AUTHENTICATION_FAILED = 58;
const ILLEGAL_SASL_STATE = 34;

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/**
 * A SASL front for the mock broker (which speaks no SASL), the way a real broker's SASL listener
 * behaves: it adds SaslHandshake and SaslAuthenticate to the broker's ApiVersions answer, runs
 * PLAIN or SCRAM-SHA-256/512 (RFC 5802, server side) against its user list, and only then joins
 * the connection to the broker byte for byte. A client that fails authentication is cut off.
 */
export class SaslTerminator {
  /** One line per authentication attempt: "<mechanism> <user> ok|failed". */
  readonly attempts: string[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly upstream: { host: string; port: number },
    private readonly users: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  stop(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }

  private accept(client: Socket): void {
    const broker = connect(this.upstream.port, this.upstream.host);
    this.sockets.add(client).add(broker);
    const close = () => {
      client.destroy();
      broker.destroy();
      this.sockets.delete(client);
      this.sockets.delete(broker);
    };
    client.on('error', close).on('close', close);
    broker.on('error', close).on('close', close);

    let authenticated = false;
    let mechanism: SaslMechanism | null = null;
    let scram: ScramServer | null = null;
    const apiVersionsAsked = new Map<number, number>();
    const fromClient = new FrameReader();
    const fromBroker = new FrameReader();

    const onClientData = (chunk: Buffer) => {
      for (const frame of fromClient.push(chunk)) {
        const key = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const correlation = frame.readInt32BE(4);
        const body = frame.subarray(10 + Math.max(0, frame.readInt16BE(8)));
        if (key === API_VERSIONS) {
          apiVersionsAsked.set(correlation, version);
          broker.write(withSize(frame));
        } else if (key === SASL_HANDSHAKE) {
          const asked = body.subarray(2, 2 + body.readInt16BE(0)).toString();
          const known = asked === 'PLAIN' || asked.startsWith('SCRAM-SHA-');
          mechanism = known ? (asked as SaslMechanism) : null;
          client.write(response(correlation, i16(known ? 0 : UNSUPPORTED_SASL_MECHANISM), array(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].map(str))));
        } else if (key === SASL_AUTHENTICATE && mechanism) {
          const auth = body.subarray(4, 4 + body.readInt32BE(0));
          const step = this.authenticate(mechanism, auth, scram);
          scram = step.scram;
          const tail = version >= 1 ? i64(0) : Buffer.alloc(0);
          client.write(response(correlation, i16(step.error), nullableStr(step.error ? 'authentication failed' : null), bytes(step.reply), tail));
          if (step.error) setTimeout(close, 50);
          if (step.done && !step.error) {
            authenticated = true;
            // From here on the connection is the broker's, exactly as sent.
            client.off('data', onClientData);
            broker.off('data', onBrokerData);
            const rest = fromClient.drain();
            if (rest.length) broker.write(rest);
            client.pipe(broker);
            broker.pipe(client);
            return;
          }
        } else if (!authenticated) {
          client.write(response(correlation, i16(ILLEGAL_SASL_STATE)));
          close();
          return;
        }
      }
    };
    const onBrokerData = (chunk: Buffer) => {
      for (const frame of fromBroker.push(chunk)) {
        const correlation = frame.readInt32BE(0);
        const version = apiVersionsAsked.get(correlation);
        client.write(withSize(version === undefined ? frame : addSaslApis(frame, version)));
      }
    };
    client.on('data', onClientData);
    broker.on('data', onBrokerData);
  }

  private authenticate(mechanism: SaslMechanism, auth: Buffer, scram: ScramServer | null): { error: number; reply: Buffer; done: boolean; scram: ScramServer | null } {
    if (mechanism === 'PLAIN') {
      const [, user, password] = auth.toString().split('\0');
      const ok = this.users[user] !== undefined && this.users[user] === password;
      this.attempts.push(`PLAIN ${user} ${ok ? 'ok' : 'failed'}`);
      return { error: ok ? 0 : SASL_AUTHENTICATION_FAILED, reply: Buffer.alloc(0), done: true, scram: null };
    }
    const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    if (!scram) {
      const first = new ScramServer(hash, this.users);
      return { error: 0, reply: Buffer.from(first.first(auth.toString())), done: false, scram: first };
    }
    const final = scram.final(auth.toString());
    this.attempts.push(`${mechanism} ${scram.user} ${final ? 'ok' : 'failed'}`);
    return { error: final ? 0 : SASL_AUTHENTICATION_FAILED, reply: Buffer.from(final ?? ''), done: true, scram: null };
  }
}

class ScramServer {
  user = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private readonly salt = randomBytes(16);
  private readonly iterations = 4096;

  constructor(
    private readonly hash: 'sha256' | 'sha512',
    private readonly users: Record<string, string>,
  ) {}

  first(message: string): string {
    this.clientFirstBare = message.replace(/^[^,]*,[^,]*,/, '');
    const attrs = parseAttrs(this.clientFirstBare);
    this.user = attrs.n ?? '';
    this.nonce = `${attrs.r}${randomBytes(12).toString('base64')}`;
    this.serverFirst = `r=${this.nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    return this.serverFirst;
  }

  /** The server-final message, or null when the proof is wrong. */
  final(message: string): string | null {
    const password = this.users[this.user];
    const attrs = parseAttrs(message);
    if (password === undefined || attrs.r !== this.nonce || !attrs.p) return null;
    const withoutProof = message.slice(0, message.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const salted = pbkdf2Sync(password, this.salt, this.iterations, this.hash === 'sha256' ? 32 : 64, this.hash);
    const clientKey = createHmac(this.hash, salted).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const signature = createHmac(this.hash, storedKey).update(authMessage).digest();
    const expected = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    const proof = Buffer.from(attrs.p, 'base64');
    if (proof.length !== expected.length || !timingSafeEqual(proof, expected)) return null;
    const serverKey = createHmac(this.hash, salted).update('Server Key').digest();
    return `v=${createHmac(this.hash, serverKey).update(authMessage).digest('base64')}`;
  }
}

function parseAttrs(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Splits a byte stream into Kafka frames (without their 4-byte size). */
class FrameReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32BE(0)) {
      const size = this.buffer.readInt32BE(0);
      frames.push(this.buffer.subarray(4, 4 + size));
      this.buffer = this.buffer.subarray(4 + size);
    }
    return frames;
  }

  drain(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

/** The broker's ApiVersions answer with SaslHandshake 0-1 and SaslAuthenticate 0-1 added. */
function addSaslApis(frame: Buffer, version: number): Buffer {
  const head = frame.subarray(0, 6); // correlation id, error code
  let at = 6;
  const entries: Buffer[] = [];
  const flexible = version >= 3;
  let count: number;
  if (flexible) {
    const [n, len] = readUvarint(frame, at);
    count = n - 1;
    at += len;
  } else {
    count = frame.readInt32BE(at);
    at += 4;
  }
  const entrySize = flexible ? 7 : 6;
  for (let i = 0; i < count; i++, at += entrySize) entries.push(frame.subarray(at, at + entrySize));
  const add = (key: number) => {
    const e = Buffer.alloc(entrySize);
    e.writeInt16BE(key, 0);
    e.writeInt16BE(0, 2);
    e.writeInt16BE(1, 4);
    return e;
  };
  entries.push(add(SASL_HANDSHAKE), add(SASL_AUTHENTICATE));
  let countBytes: Buffer;
  if (flexible) {
    countBytes = uvarint(entries.length + 1);
  } else {
    countBytes = Buffer.alloc(4);
    countBytes.writeInt32BE(entries.length);
  }
  return Buffer.concat([head, countBytes, ...entries, frame.subarray(at)]);
}

function readUvarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let len = 0;
  for (;;) {
    const b = buf[at + len++];
    value |= (b & 0x7f) << shift;
    if (!(b & 0x80)) return [value, len];
    shift += 7;
  }
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const nullableStr = (s: string | null) => (s === null ? i16(-1) : str(s));
const bytes = (b: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
};
const array = (items: Buffer[]) => {
  const len = Buffer.alloc(4);
  len.writeInt32BE(items.length);
  return Buffer.concat([len, ...items]);
};
const withSize = (frame: Buffer) => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
};
function response(correlation: number, ...parts: Buffer[]): Buffer {
  const id = Buffer.alloc(4);
  id.writeInt32BE(correlation);
  return withSize(Buffer.concat([id, ...parts]));
}
