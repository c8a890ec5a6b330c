/* global document, URLSearchParams, EventSource */
// Follows each log of the watchlogs page through server-sent events (logstream), appending
// what arrives; keeps the view at the bottom when it was there. Without JavaScript the page
// still shows each log's tail.
for (const pre of document.querySelectorAll('pre.log[data-follow]')) {
  const q = new URLSearchParams({ taskID: pre.dataset.task, name: pre.dataset.name, offset: pre.dataset.offset });
  const events = new EventSource(`logstream?${q}`);
  events.onmessage = (e) => {
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(JSON.parse(e.data).text);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  events.addEventListener('end', () => {
    events.close();
    pre.dataset.ended = '1';
  });
  events.addEventListener('fail', () => events.close());
}
