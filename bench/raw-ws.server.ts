import { WebSocketServer } from 'ws';

// The reference of the gateway suite, as a child process: a plain `ws` server that broadcasts
// frames to every connected client. On an IPC message `{frames, batch}` it sends each frame to
// every client, `batch` frames per event-loop turn (the gateway also gets events in batches),
// then answers `{sent: n}`.
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
process.on('message', (m: { frames: string[]; batch: number }) => {
  let i = 0;
  const turn = () => {
    for (const end = Math.min(m.frames.length, i + m.batch); i < end; i++) {
      const text = m.frames[i]!;
      for (const ws of wss.clients) ws.send(text);
    }
    if (i < m.frames.length) setImmediate(turn);
    else process.send!({ sent: i });
  };
  turn();
});
process.on('disconnect', () => process.exit(0));
