// The buddy list on JsSIP: REGISTER, a presence SUBSCRIBE per buddy, MESSAGE both ways.
import JsSIP from 'jssip';
import { params, init, setRegistered, setBuddy, addChat, error, readPidf, userOf } from './ui.js';

const p = params();
const ua = new JsSIP.UA({
  sockets: [new JsSIP.WebSocketInterface(p.server)],
  uri: p.aor,
  password: p.password,
  register: true,
  register_expires: 300,
});
init(p, (target, text) => {
  ua.sendMessage(target, text, {
    eventHandlers: { failed: (e) => error(`MESSAGE to ${target} failed: ${e.cause}`) },
  });
});

let subscribed = false;
ua.on('registered', () => {
  setRegistered(true);
  if (subscribed) return;
  subscribed = true;
  for (const b of p.buddies) {
    const s = ua.subscribe(`sip:${b}@${p.domain}`, 'presence', 'application/pidf+xml', { expires: 300 });
    s.on('notify', (isFinal, request, body) => {
      const st = readPidf(body);
      setBuddy(b, isFinal ? 'closed' : st.basic, st.note);
    });
    s.on('terminated', (code, reason) => error(`subscription to ${b} ended: ${code} ${reason || ''}`));
    s.subscribe();
  }
});
ua.on('registrationFailed', (e) => {
  setRegistered(false, 'registration failed: ' + e.cause);
  error('registration failed: ' + e.cause);
});
ua.on('newMessage', (e) => {
  if (e.originator !== 'remote') return;
  addChat(userOf(e.request.from.uri.toString()), e.request.body);
});
ua.start();
