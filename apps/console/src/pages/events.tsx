import { useEffect, useRef, useState } from 'preact/hooks';
import type { WizEvent, WizEvents } from '@wiz/client';
import { ownEvents } from '../api';
import { ErrorNote, Field, Json, Page } from '../ui';

const MAX = 500;

// Any topic, optionally from a sequence number: the frames as they arrive.
export function EventsPage() {
  const [topic, setTopic] = useState('owner');
  const [since, setSince] = useState('');
  const [frames, setFrames] = useState<WizEvent[]>([]);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(true);
  // The topic the server confirmed (events published before that may be missed without `since`).
  const [following, setFollowing] = useState<string>();
  // Its own connection: following `owner` here must not replace the navigation's subscription.
  const events = useRef<WizEvents | undefined>(undefined);
  useEffect(() => () => events.current?.close(), []);
  const start = async () => {
    events.current?.close();
    events.current = ownEvents();
    setFrames([]);
    setError(undefined);
    setFollowing(undefined);
    const name = topic.trim();
    const s = events.current.subscribe(name, {
      since: since.trim() === '' ? undefined : Number(since),
      onEvent: (e) => setFrames((f) => [e, ...f].slice(0, MAX)),
      onError: (e) => setError(e.message),
    });
    await s.ready.then(
      () => setFollowing(name),
      () => undefined,
    );
  };
  return (
    <Page title="Events">
      <form
        class="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <Field label="Topic" hint="owner, agent:<id>, job:<id> or conversation:<id>">
          <input data-search value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        </Field>
        <Field label="Since" hint="replay after this sequence number (0: all kept)">
          <input type="number" min="0" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </Field>
        <button class="primary">Subscribe</button>
        <label class="check">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> show token frames
        </label>
      </form>
      <ErrorNote error={error} />
      <p class="muted small" data-following={following}>
        {following ? `Following ${following}. ` : ''}
        {frames.length === 0
          ? 'No frames yet: subscribe, then make something happen.'
          : `${frames.length} frames (newest first)`}
      </p>
      <ol class="frames">
        {frames
          .filter((f) => live || !f.live)
          .map((f, i) => (
            <li key={`${f.seq ?? 'live'}-${f.event.id}-${i}`}>
              <span class="muted small">
                {f.seq !== undefined ? `#${f.seq}` : 'live'} · {f.topic} · <b>{f.event.type}</b>
              </span>
              <Json value={f.event.data} />
            </li>
          ))}
      </ol>
    </Page>
  );
}
