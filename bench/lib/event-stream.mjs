/**
 * A reader of the supervisor's GET /events (Server-Sent Events): each envelope is handed to `onEvent` as it
 * arrives. With `lastEventId` the supervisor first replays every stored event after it, which is how a
 * benchmark sees what a restarted supervisor did before it could connect. Envelopes carry the supervisor's
 * own `timestamp`, the moment of the change, so a consumer can time from them rather than from arrival.
 */
import http from 'node:http';

export function openEventStream(base, { types, headers = {}, lastEventId, onEvent }) {
  const url = new URL('/events', base);
  if (types !== undefined) url.searchParams.set('types', types.join(','));
  let lastId = lastEventId;
  let request;
  const opened = new Promise((resolve, reject) => {
    request = http.get(url, { headers: { ...headers, ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET /events answered ${response.statusCode}`));
        response.resume();
        return;
      }
      resolve();
      response.setEncoding('utf8');
      let buffered = '';
      response.on('data', (chunk) => {
        buffered += chunk;
        // One event per blank-line-terminated block; comment lines (`: keep-alive`) carry no data.
        for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const envelope = JSON.parse(data.slice(6));
          lastId = envelope.id;
          onEvent(envelope);
        }
      });
    });
    request.on('error', reject);
  });
  const ended = opened.then(() => new Promise((resolve) => request.once('close', resolve)));
  return {
    opened,
    ended,
    /** The id of the last event received (to resume from on another connection). */
    lastId: () => lastId,
    close: () => request.destroy(),
  };
}
