// The page, whichever SIP library drives it. window.sipState mirrors what is shown, for
// the browser test (and for a curious developer's console).
export function params() {
  const q = new URLSearchParams(location.search);
  const user = q.get('user') || 'alice';
  const domain = q.get('domain') || 'example.com';
  return {
    user,
    domain,
    aor: `sip:${user}@${domain}`,
    password: q.get('password') || undefined,
    server: q.get('server') || `wss://${location.hostname}:8443`,
    buddies: (q.get('buddies') || '').split(',').filter(Boolean),
  };
}

const state = (window.sipState = { registered: false, buddies: {}, chat: [], errors: [] });

export function init(p, send) {
  document.getElementById('me').textContent = p.aor;
  const list = document.getElementById('buddies');
  const to = document.getElementById('to');
  for (const b of p.buddies) {
    const li = document.createElement('li');
    li.id = 'buddy-' + b;
    li.className = 'closed';
    li.textContent = b;
    list.appendChild(li);
    const opt = document.createElement('option');
    opt.value = opt.textContent = b;
    to.appendChild(opt);
    state.buddies[b] = 'closed';
  }
  document.getElementById('compose').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = document.getElementById('text');
    if (!text.value) return;
    window.sendChat(to.value, text.value);
    text.value = '';
  });
  // The test (or the console) sends with sendChat(buddy, text).
  window.sendChat = (buddy, text) => {
    addChat('me → ' + buddy, text);
    send(`sip:${buddy}@${p.domain}`, text);
  };
}

export function setRegistered(yes, why) {
  state.registered = yes;
  const s = document.getElementById('status');
  s.textContent = yes ? 'online' : why || 'offline';
  s.className = yes ? 'open' : 'closed';
}

/// basic is 'open' or 'closed'; note is shown after the name.
export function setBuddy(name, basic, note) {
  state.buddies[name] = basic;
  const li = document.getElementById('buddy-' + name);
  if (!li) return;
  li.className = basic;
  li.textContent = name + (note ? ' — ' + note : '');
}

export function addChat(from, text) {
  state.chat.push({ from, text });
  const li = document.createElement('li');
  const f = document.createElement('span');
  f.className = 'from';
  f.textContent = from;
  li.appendChild(f);
  li.appendChild(document.createTextNode(text));
  document.getElementById('chat').appendChild(li);
}

export function error(text) {
  state.errors.push(text);
  console.error(text);
}

/// Reads a PIDF body: open when any tuple is open; the first note.
export function readPidf(body) {
  const doc = new DOMParser().parseFromString(body || '', 'application/xml');
  const basics = [...doc.getElementsByTagNameNS('*', 'basic')].map((b) => b.textContent.trim());
  const note = doc.getElementsByTagNameNS('*', 'note')[0];
  return { basic: basics.includes('open') ? 'open' : 'closed', note: note ? note.textContent.trim() : '' };
}

/// The user part of a SIP URI.
export function userOf(uri) {
  const m = /^sips?:([^@;>]+)@/.exec(String(uri));
  return m ? m[1] : String(uri);
}
