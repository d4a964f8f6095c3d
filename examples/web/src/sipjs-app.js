// The same page on SIP.js: Registerer, a Subscriber per buddy, Messager both ways.
import { UserAgent, Registerer, RegistererState, Subscriber, Messager } from 'sip.js';
import { params, init, setRegistered, setBuddy, addChat, error, readPidf, userOf } from './ui.js';

const p = params();
const ua = new UserAgent({
  uri: UserAgent.makeURI(p.aor),
  transportOptions: { server: p.server },
  authorizationUsername: p.user,
  authorizationPassword: p.password,
  delegate: {
    onMessage: (message) => {
      addChat(userOf(message.request.from.uri.toString()), message.request.body);
      message.accept();
    },
  },
});
init(p, (target, text) => {
  new Messager(ua, UserAgent.makeURI(target), text)
    .message()
    .catch((e) => error(`MESSAGE to ${target} failed: ${e}`));
});

ua.start()
  .then(() => {
    const registerer = new Registerer(ua, { expires: 300 });
    registerer.stateChange.addListener((s) => setRegistered(s === RegistererState.Registered));
    return registerer.register({
      requestDelegate: { onReject: (r) => error('registration refused: ' + r.message.statusCode) },
    });
  })
  .then(() => {
    for (const b of p.buddies) {
      const s = new Subscriber(ua, UserAgent.makeURI(`sip:${b}@${p.domain}`), 'presence', { expires: 300 });
      s.delegate = {
        onNotify: (notification) => {
          const st = readPidf(notification.request.body);
          setBuddy(b, st.basic, st.note);
          notification.accept();
        },
      };
      s.subscribe().catch((e) => error(`SUBSCRIBE to ${b} failed: ${e}`));
    }
  })
  .catch((e) => error('start failed: ' + e));
