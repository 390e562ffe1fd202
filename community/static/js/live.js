/*
 * Live updates for a space page or a thread page, over Socket.IO (see API.md).
 *
 * Reads its parameters from the data-* attributes of #live (templates/live/_live.html).
 * Subscribes from the event id the server rendered into the page, so everything that
 * happened after the page was read is replayed; after a reconnect it subscribes again
 * from the last event it had for sure (see `resumeId`), and fills any remaining gap
 * from the events API.
 * Post text is inserted as HTML only from `body_html`, which the server sanitized;
 * everything else goes in as text. Without this script the pages work as before.
 */
(function () {
  'use strict';

  const root = document.getElementById('live');
  if (!root || typeof window.io !== 'function') {
    return;
  }

  const TYPING_SEND_EVERY = 3000;    // ms between our own typing notices
  const TYPING_SHOWN_FOR = 6000;     // ms a typing notice stays on screen
  const ANNOUNCE_AFTER = 1000;       // ms to gather new posts into one announcement
  const SEEN_KEPT = 5000;            // event ids remembered to drop duplicates
  const RELOAD_GUARD = 60000;        // ms: reload for gap_too_large at most this often
  const SETTLE = 5000;               // ms after which no earlier event is still on its way

  const data = root.dataset;
  const t = JSON.parse(data.strings);
  const spaceId = Number(data.spaceId);
  const threadId = data.threadId ? Number(data.threadId) : null;
  const atEnd = data.atEnd !== 'false';
  const threadUrl = data.threadUrl;
  const postUrl = data.postUrl;
  const readerId = data.readerId ? Number(data.readerId) : null;  // the reader's membership

  const statusEl = root.querySelector('.live-status');
  const presenceEl = root.querySelector('.live-presence');
  const typingEl = root.querySelector('.live-typing');
  const markerEl = root.querySelector('.live-new-posts');
  const announcer = root.querySelector('[aria-live]');
  const postsList = document.querySelector('ol.posts');
  const replyBox = document.querySelector('#reply textarea');

  let lastId = Number(data.lastEventId) || 0;
  const startedFrom = lastId;  // the page as rendered holds everything up to here
  const seen = new Set();
  let stopped = false;
  let subscribed = false;

  // Writers of a space commit their events in id order, but each publishes its own
  // after its commit (other greenlets, other processes): a later event can reach us a
  // moment before an earlier one. Resuming after the highest id we have would skip an
  // earlier one still on its way when the connection dropped, so a resume starts after
  // the highest id that arrived SETTLE ms before the drop; `seen` drops what comes twice.
  const arrivals = [];  // [id, time] of the events of the last SETTLE ms, oldest first
  let settledId = lastId;
  let droppedAt = null;  // when the connection dropped; null while subscribed

  function settle() {
    const now = droppedAt === null ? Date.now() : droppedAt;
    while (arrivals.length && now - arrivals[0][1] >= SETTLE) {
      settledId = Math.max(settledId, arrivals.shift()[0]);
    }
  }

  function resumeId() {
    settle();
    return settledId;
  }

  const timeFormat = new Intl.DateTimeFormat(data.lang || undefined, {
    dateStyle: 'medium', timeStyle: 'medium', timeZone: t.timezone || 'UTC'});

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) =>
      Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole);
  }

  function plural(key, n) {
    return fill(n === 1 ? t[key + '_one'] : t[key + '_other'], {n: n});
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => node.setAttribute(name, value));
    (children || []).forEach((child) => {
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  // --- status, announcements ----------------------------------------------------------

  // The connection's state, for styles and tests: connecting, live, reconnecting, stopped.
  function setState(state) {
    root.dataset.state = state;
  }

  function setStatus(text, link) {
    statusEl.replaceChildren();
    if (!text) {
      statusEl.hidden = true;
      return;
    }
    statusEl.append(text);
    if (link) {
      statusEl.append(' ', el('a', {href: link.href}, [link.text]));
    }
    statusEl.hidden = false;
  }

  let pendingAnnouncements = [];
  let newPostsToAnnounce = 0;
  let announceTimer = null;

  function announce(message, isNewPost) {
    if (isNewPost) {
      newPostsToAnnounce += 1;
    } else {
      pendingAnnouncements.push(message);
    }
    if (!announceTimer) {
      announceTimer = setTimeout(flushAnnouncements, ANNOUNCE_AFTER);
    }
  }

  function flushAnnouncements() {
    announceTimer = null;
    const parts = pendingAnnouncements.slice(0, 3);
    if (newPostsToAnnounce) {
      parts.unshift(plural('new_posts', newPostsToAnnounce));
    }
    pendingAnnouncements = [];
    newPostsToAnnounce = 0;
    if (!parts.length) {
      return;
    }
    // Emptied first, so that the same words twice are still read out twice.
    announcer.textContent = '';
    setTimeout(() => { announcer.textContent = parts.join(' '); }, 50);
  }

  // --- the thread page: posts ---------------------------------------------------------

  const unseen = [];
  let laterPosts = 0;  // new posts on a later page than the one shown
  const visibility = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
    entries.forEach((entry) => {
      if (entry.isIntersecting) {
        markSeen(entry.target);
      }
    });
  }) : null;

  function markSeen(article) {
    const index = unseen.indexOf(article);
    if (index >= 0) {
      unseen.splice(index, 1);
    }
    if (visibility) {
      visibility.unobserve(article);
    }
    updateMarker();
  }

  function updateMarker() {
    const count = atEnd ? unseen.length : laterPosts;
    markerEl.hidden = count === 0;
    if (count) {
      markerEl.textContent = plural('new_posts', count);
    }
  }

  markerEl.addEventListener('click', () => {
    if (!atEnd) {
      window.location.assign(data.latestUrl);
      return;
    }
    const first = unseen[0];
    unseen.slice().forEach(markSeen);
    if (first) {
      first.scrollIntoView({block: 'start'});
      first.focus({preventScroll: true});
    }
  });

  function authorNode(author, id) {
    const span = el('span', {id: id});
    if (author && author.membership_id) {
      span.append(el('bdi', {}, [author.name || '']));
      if (author.role === 'facilitator') {
        span.append(' ', el('span', {class: 'badge'}, [t.facilitator]));
      }
    } else {
      span.append(el('span', {class: 'muted'}, [(author && author.name) || '']));
    }
    return span;
  }

  function formatTime(iso) {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? '' : timeFormat.format(when);
  }

  function bodyNodes(post) {
    if (post.state === 'removed') {
      return [el('p', {class: 'tombstone'}, [
        (post.removed_by === 'facilitator' ? t.removed_by_facilitator
          : post.removed_by === 'retention' ? t.removed_by_retention : t.removed_by_author)])];
    }
    const nodes = [];
    if (post.state === 'pending' || post.state === 'rejected') {
      nodes.push(el('p', {class: 'badge'}, [post.state === 'pending' ? t.pending : t.rejected]));
    }
    const body = el('div', {class: 'post-body', dir: 'auto'});
    body.innerHTML = post.body_html || '';  // sanitized by the server (community/text.py)
    nodes.push(body);
    return nodes;
  }

  function buildPost(post) {
    const id = 'post-' + post.id;
    const header = el('header', {}, [
      authorNode(post.author, id + '-by'), ' ',
      el('a', {class: 'muted', href: postUrl + post.id}, [
        el('time', {datetime: post.created_at || ''}, [formatTime(post.created_at)])]),
    ]);
    if (post.edited_at) {
      header.append(' ', el('span', {class: 'muted live-edited'}, ['· ' + t.edited]));
    }
    const article = el('article', {
      class: 'post card', id: id, 'aria-labelledby': id + '-by', tabindex: '-1'}, [header]);
    article.append(...bodyNodes(post));
    if (post.state === 'published') {
      // The same links as the rendered page: quote where one may reply, flag others' posts.
      const links = [];
      if (replyBox) {
        links.push(el('a', {href: threadUrl + threadId + '?quote=' + post.id + '#reply'}, [t.quote]));
      }
      if (readerId && !(post.author && post.author.membership_id === readerId)) {
        links.push(el('a', {href: postUrl + post.id + '/flag'}, [t.flag]));
      }
      if (links.length) {
        const footer = el('footer', {class: 'post-actions'});
        links.forEach((link, index) => footer.append(...(index ? [' ', link] : [link])));
        article.append(footer);
      }
    }
    return el('li', {}, [article]);
  }

  function isOnScreen(node) {
    const box = node.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  function addPost(post) {
    if (document.getElementById('post-' + post.id)) {
      changePost(post);  // already on the page (read after the id the page started from)
      return;
    }
    typers.delete(post.author && post.author.name);  // they have stopped typing
    showTyping();
    if (!atEnd || !postsList) {
      laterPosts += 1;
      updateMarker();
      announce(null, true);
      return;
    }
    const item = buildPost(post);
    postsList.append(item);
    const article = item.firstElementChild;
    if (!isOnScreen(article)) {
      unseen.push(article);
      if (visibility) {
        visibility.observe(article);
      }
      updateMarker();
    }
    announce(null, true);
  }

  function changePost(post) {
    const article = document.getElementById('post-' + post.id);
    if (!article) {
      return;
    }
    article.querySelectorAll('.post-body, .tombstone, p.badge').forEach((node) => {
      // The pending badge sits directly in the article; keep badges inside the header.
      if (node.parentElement === article) {
        node.remove();
      }
    });
    const footer = article.querySelector('footer');
    const nodes = bodyNodes(post);
    if (footer) {
      footer.before(...nodes);
    } else {
      article.append(...nodes);
    }
    if (post.state === 'removed' && footer) {
      footer.remove();
    }
    const header = article.querySelector('header');
    if (post.edited_at && header && !header.textContent.includes(t.edited)) {
      header.append(' ', el('span', {class: 'muted live-edited'}, ['· ' + t.edited]));
    }
  }

  function hidePost(postId) {
    // Held for review after it was shown: members no longer see it (nor after a reload).
    const article = document.getElementById('post-' + postId);
    if (article) {
      markSeen(article);
      article.closest('li').remove();
    }
  }

  // --- the space page: the thread list ------------------------------------------------

  const freshThreads = new Set();

  function threadList() {
    let list = document.querySelector('ul.thread-list');
    const section = document.querySelector('.space-threads');
    if (!list && section) {
      list = el('ul', {class: 'plain thread-list'});
      root.after(list);
    }
    return list;
  }

  function threadRow(id) {
    const list = document.querySelector('ul.thread-list');
    const link = list && list.querySelector('a[href="' + threadUrl + id + '"]');
    return link ? link.closest('li') : null;
  }

  function markNew(row) {
    if (!row.querySelector('.badge.new')) {
      const meta = row.querySelector('span.muted');
      const badge = el('strong', {class: 'badge new'}, [t.new]);
      if (meta) {
        meta.before(badge, ' ');
      } else {
        row.append(' ', badge);
      }
    }
  }

  function moveToTop(row, pinned) {
    const list = row.parentElement || threadList();
    if (pinned) {
      list.prepend(row);
      return;
    }
    const firstUnpinned = Array.from(list.children).find(
      (li) => li !== row && !li.classList.contains('pinned'));
    if (firstUnpinned) {
      firstUnpinned.before(row);
    } else {
      list.append(row);
    }
  }

  function addThread(thread) {
    if (threadRow(thread.id)) {
      return;
    }
    const list = threadList();
    if (!list) {
      return;
    }
    const row = el('li', {class: 'thread-row' + (thread.pinned ? ' pinned' : '')}, [
      el('a', {href: threadUrl + thread.id}, [el('bdi', {}, [thread.title || ''])])]);
    markNew(row);
    list.prepend(row);
    moveToTop(row, thread.pinned);
    freshThreads.add(thread.id);
    announce(fill(t.new_thread, {title: thread.title || ''}));
  }

  function bumpThread(post) {
    const row = threadRow(post.thread_id);
    if (!row) {
      announce(t.new_activity);
      return;
    }
    markNew(row);
    moveToTop(row, row.classList.contains('pinned'));
    if (freshThreads.delete(post.thread_id)) {
      return;  // the opening post of a thread just announced
    }
    const title = row.querySelector('a');
    announce(fill(t.new_reply, {title: title ? title.textContent : ''}));
  }

  function renameThread(thread) {
    if (threadId === thread.id) {
      const heading = document.querySelector('main h1');
      if (heading && thread.title) {
        heading.textContent = thread.title;
      }
      return;
    }
    const row = threadRow(thread.id);
    const bdi = row && row.querySelector('a bdi');
    if (bdi && thread.title) {
      bdi.textContent = thread.title;
    }
  }

  // --- events -------------------------------------------------------------------------

  const onThreadPage = threadId !== null;
  const handlers = {
    'post.created': (d) => {
      if (!d.post) {
        return;
      }
      if (onThreadPage) {
        if (d.post.thread_id === threadId) {
          addPost(d.post);
        }
      } else if (d.post.state === 'published') {
        bumpThread(d.post);
      }
    },
    'post.updated': (d) => { if (d.post && onThreadPage) { changePost(d.post); } },
    'post.removed': (d) => { if (d.post && onThreadPage) { changePost(d.post); } },
    'post.hidden': (d) => {
      if (onThreadPage && d.thread_id === threadId) {
        hidePost(d.post_id);
      }
    },
    'thread.created': (d) => { if (d.thread && !onThreadPage) { addThread(d.thread); } },
    'thread.updated': (d) => { if (d.thread) { renameThread(d.thread); } },
  };

  function handleEvent(event) {
    if (!event || event.space_id !== spaceId || typeof event.id !== 'number') {
      return;
    }
    if (seen.has(event.id) || event.id <= startedFrom) {
      return;  // replayed twice, or already part of the page as rendered
    }
    seen.add(event.id);
    if (seen.size > SEEN_KEPT) {
      seen.delete(seen.values().next().value);
    }
    lastId = Math.max(lastId, event.id);
    arrivals.push([event.id, Date.now()]);
    settle();
    const handler = handlers[event.type];
    if (handler) {
      try {
        handler(event.data || {});
      } catch (error) {
        console.error('live: could not show event', event.id, error);
      }
    }
  }

  // The events API fills what the socket did not bring (replayed over another path,
  // or lost with a connection); ids already handled are dropped.
  let catchingUp = null;
  function catchUp() {
    if (catchingUp) {
      return catchingUp;
    }
    catchingUp = (async () => {
      for (let page = 0; page < 100 && !stopped; page += 1) {
        const response = await fetch(data.eventsUrl + '?limit=500&after=' + lastId, {
          credentials: 'same-origin', headers: {Accept: 'application/json'}});
        if (!response.ok) {
          if ([401, 403, 404, 428].includes(response.status)) {
            revoke(response.status === 428 ? 'agreement' : 'forbidden');
          }
          return;
        }
        const body = await response.json();
        body.items.forEach(handleEvent);
        lastId = Math.max(lastId, body.last_event_id || 0);
        if (!body.more) {
          return;
        }
      }
    })().catch((error) => console.warn('live: catching up failed', error))
      .finally(() => { catchingUp = null; });
    return catchingUp;
  }

  // --- typing and presence ------------------------------------------------------------

  const typers = new Map();  // name -> time last seen typing

  function nameOf(who) {
    if (typeof who === 'string') {
      return who;
    }
    return (who && (who.name || who.pseudonym || who.display_name)) || '';
  }

  function showTyping() {
    const now = Date.now();
    typers.forEach((when, name) => {
      if (now - when > TYPING_SHOWN_FOR) {
        typers.delete(name);
      }
    });
    typingEl.hidden = typers.size === 0;
    typingEl.textContent = typers.size === 1 ?
      fill(t.typing_one, {name: typers.keys().next().value}) : t.typing_many;
    if (typers.size) {
      setTimeout(showTyping, 1000);
    }
  }

  let typingSentAt = 0;
  if (replyBox && onThreadPage) {
    replyBox.addEventListener('input', () => {
      const now = Date.now();
      if (subscribed && now - typingSentAt > TYPING_SEND_EVERY) {
        typingSentAt = now;
        socket.emit('typing', {thread_id: threadId});
      }
    });
  }

  function showPresence(online, count) {
    // The server names at most the first few dozen; `count` is everyone here.
    const names = (online || []).map(nameOf).filter(Boolean);
    const more = Math.max(0, (Number.isInteger(count) ? count : names.length) - names.length);
    presenceEl.hidden = names.length === 0;
    presenceEl.textContent = more > 0 ?
      fill(t.here_more, {names: names.join(', '), n: more}) :
      fill(t.here, {names: names.join(', ')});
  }

  // --- losing access ------------------------------------------------------------------

  function revoke(reason) {
    if (stopped) {
      return;
    }
    stopped = true;
    subscribed = false;
    setState('stopped');
    socket.disconnect();
    typers.clear();
    typingEl.hidden = true;
    presenceEl.hidden = true;
    const agreement = /agreement/.test(String(reason || ''));
    setStatus(agreement ? t.revoked_agreement : t.revoked, agreement ?
      {href: data.agreementUrl, text: t.agreement_link} :
      {href: data.spaceUrl, text: t.space_link});
    statusEl.setAttribute('role', 'alert');
  }

  function reloadForGap() {
    const key = 'live:reloaded:' + spaceId;
    let last = 0;
    try {
      last = Number(window.sessionStorage.getItem(key)) || 0;
      window.sessionStorage.setItem(key, String(Date.now()));
    } catch (error) {
      last = Date.now();  // no storage: do not risk reloading in a loop
    }
    if (Date.now() - last > RELOAD_GUARD) {
      window.location.reload();
      return;
    }
    stopped = true;
    setState('stopped');
    socket.disconnect();
    setStatus(t.stopped, {href: window.location.href, text: t.reload});
  }

  // --- the connection -----------------------------------------------------------------

  // Jittered exponential back-off: 1 s doubling up to 30 s, each delay varied by ±50 %,
  // so that clients dropped together do not all come back in the same instant.
  setState('connecting');
  const socket = window.io({
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 30000,
    randomizationFactor: 0.5,
    withCredentials: true,
  });

  function subscribe() {
    if (stopped) {
      return;
    }
    socket.timeout(15000).emit('subscribe', {space_id: spaceId, last_event_id: resumeId()},
      (error, ack) => {
        if (stopped) {
          return;
        }
        if (error) {  // no answer in time: try again while connected
          if (socket.connected) {
            setTimeout(subscribe, 2000 + Math.random() * 3000);
          }
          return;
        }
        if (!ack || !ack.ok) {
          const code = ack && ack.error && ack.error.code;
          if (code === 'gap_too_large') {
            reloadForGap();
          } else {
            revoke(code);
          }
          return;
        }
        subscribed = true;
        droppedAt = null;
        serverDrops = 0;
        setState('live');
        setStatus(null);
        if (typeof ack.last_event_id === 'number' && ack.last_event_id > lastId) {
          catchUp();
        }
      });
  }

  socket.on('connect', subscribe);  // also after every reconnect, from `resumeId()`
  socket.on('event', handleEvent);
  socket.on('typing', (d) => {
    if (d && onThreadPage && d.thread_id === threadId && nameOf(d.who)) {
      typers.set(nameOf(d.who), Date.now());
      showTyping();
    }
  });
  socket.on('presence', (d) => {
    if (d && d.space_id === spaceId) {
      showPresence(d.online, d.count);
    }
  });
  socket.on('access_revoked', (d) => {
    // space_id null: the whole account (suspended, signed out everywhere).
    if (d && (d.space_id === spaceId || d.space_id === null)) {
      revoke(d.reason);
    }
  });

  let serverDrops = 0;
  socket.on('disconnect', (reason) => {
    subscribed = false;
    if (droppedAt === null) {
      droppedAt = Date.now();
    }
    if (stopped) {
      return;
    }
    setState('reconnecting');
    setStatus(t.reconnecting);
    if (reason === 'io server disconnect') {
      // The server closed the connection itself; Socket.IO does not retry that alone.
      serverDrops += 1;
      const delay = Math.min(30000, 1000 * 2 ** serverDrops) * (0.5 + Math.random());
      setTimeout(() => { if (!stopped) { socket.connect(); } }, delay);
    }
  });
  socket.on('connect_error', () => {
    if (!stopped && !socket.active) {
      // Refused (signed out, suspended …) rather than unreachable: stop here.
      stopped = true;
      setState('stopped');
      setStatus(t.stopped, {href: window.location.href, text: t.reload});
    }
  });

  // Coming back online: do not wait for the back-off timer.
  window.addEventListener('online', () => {
    if (!stopped && !socket.connected) {
      socket.connect();
    }
  });
}());
