// The page: one WebSocket session (docs/protocol.md), text or microphone questions,
// gapless playback of the streamed answer, the spoken and silent streams side by side.
// `window.omni` exposes counters so a test (or you, in the console) can see what happened.
'use strict';

const $ = (id) => document.getElementById(id);
const omni = (window.omni = {
  connected: false, chunksReceived: 0, chunksScheduled: 0, scheduledSeconds: 0,
  answers: [], errors: [], closes: [], mic: 'off', sent: 0,
});

let ws = null;
let hello = null;
let audio = null;           // one AudioContext: playback and capture
let playAt = 0;             // when the next chunk starts, in audio-context time
let pendingAudio = null;    // the `audio` event whose samples come in the next binary frame
let current = null;         // the answer in progress
let capture = null;         // { stream, node, source }
let recording = false;      // an audio question is being sent
let preroll = [];           // the last frames before the detector fired
let retry = 1000;
const sources = new Set(); // chunks scheduled and not yet played (Stop silences them)

const CLOSE_REASONS = {
  1006: 'the connection dropped',
  1008: 'this page\'s origin is not allowed by the server',
  1009: 'a message was too large for the server',
  1011: 'the server hit an internal error',
  1013: 'the server is busy (too many sessions)',
  4000: 'closed after being idle',
};

function say(text, bad = false) {
  $('message').textContent = text;
  $('message').className = bad ? 'bad' : '';
}

function setStatus(text, on) {
  $('status').textContent = text;
  $('status').className = 'pill ' + (on ? 'on' : 'off');
}

// ---- the session ------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${scheme}://${location.host}/ws`);
  ws.binaryType = 'arraybuffer';
  setStatus('connecting…', false);
  ws.onopen = () => { omni.connected = true; retry = 1000; setStatus('connected', true); };
  ws.onmessage = (message) => {
    if (typeof message.data === 'string') onEvent(JSON.parse(message.data));
    else onSamples(message.data);
  };
  ws.onclose = (event) => {
    omni.connected = false;
    omni.closes.push({ code: event.code, reason: event.reason });
    const why = event.reason || CLOSE_REASONS[event.code] || `code ${event.code}`;
    setStatus('disconnected', false);
    say(`Connection lost: ${why}. Reconnecting in ${retry / 1000} s…`, true);
    stopRecording(false);
    current = null;
    setBusy(false);
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  };
}

// when the last message left: an answer's clock starts here, not after the page updates
let lastSentAt = 0;

function send(message) {
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    say('Not connected to the server yet.', true);
    return false;
  }
  lastSentAt = performance.now();
  ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  return true;
}

function onEvent(event) {
  switch (event.type) {
    case 'hello':
      hello = event;
      say(`Ready: ${event.talker} voice, answers ${event.concurrency === 'queue' ? 'queued' : 'interleaved'} between sessions.`);
      break;
    case 'started':
      if (current) current.id = event.id;
      break;
    case 'transcript':
      if (current) { current.label = event.text; $('heard').textContent = `(heard: “${event.text}”)`; }
      break;
    case 'spoken':
      if (current) { current.spoken += event.text; $('spoken').textContent = current.spoken; }
      break;
    case 'reasoning':
      if (current) { current.reasoning += event.text; $('reasoning').textContent = current.reasoning; }
      break;
    case 'audio':
      pendingAudio = event;
      break;
    case 'done':
      finish(event);
      break;
    case 'cancelled':
      if (current) say('Stopped.');
      current = null;
      setBusy(false);
      break;
    case 'error':
      omni.errors.push(event);
      say(`The server refused that: ${event.message}`, true);
      if (event.code !== 'busy' && current && (!event.id || event.id === current.id)) {
        current = null;
        setBusy(false);
      }
      break;
  }
}

function begin(kind, label) {
  current = { kind, label, spoken: '', reasoning: '', sentAt: lastSentAt, ttfa: null };
  $('spoken').textContent = '';
  $('reasoning').textContent = '';
  $('heard').textContent = label ? `(you asked: ${label})` : '';
  $('metrics').textContent = 'thinking…';
  say('');
  setBusy(true);
}

function finish(done) {
  const answer = current || { label: '', ttfa: null };
  const ttfa = answer.ttfa;
  if (done.transcript) $('heard').textContent = `(heard: “${done.transcript}”)`;
  $('spoken').textContent = done.spoken_text;
  $('reasoning').textContent = done.reasoning_text;
  const parts = [
    `answer ${done.answer ?? '—'}`,
    `first audio after ${ttfa == null ? '—' : ttfa.toFixed(2) + ' s'} here`,
    `(server ${fmt(done.server_ttfa_s)}, engine ${fmt(done.ttfa_s)})`,
    `${done.stalls} stalls`,
    `${fmt(done.audio_s, 1)} of speech`,
  ];
  $('metrics').textContent = parts.join(' · ');
  const record = {
    question: answer.label || done.transcript || done.question, answer: done.answer,
    spoken: done.spoken_text, reasoning: done.reasoning_text, transcript: done.transcript ?? null,
    pageTtfa: ttfa, serverTtfa: done.server_ttfa_s, engineTtfa: done.ttfa_s, stalls: done.stalls,
  };
  omni.answers.push(record);
  const item = document.createElement('li');
  item.textContent = `${record.question} → ${done.spoken_text}`;
  $('history').prepend(item);
  current = null;
  setBusy(false);
}

function fmt(seconds, digits = 2) {
  return seconds == null ? '—' : `${seconds.toFixed(digits)} s`;
}

function setBusy(busy) {
  $('ask').disabled = busy;
}

// ---- playback: every chunk starts exactly where the previous one ends ---------------------

function ensureAudio() {
  if (!audio) audio = new AudioContext();
  if (audio.state === 'suspended') audio.resume();
  return audio;
}

function onSamples(data) {
  const header = pendingAudio;
  pendingAudio = null;
  if (!header) return;
  omni.chunksReceived += 1;
  if (current && current.ttfa == null) {
    current.ttfa = (performance.now() - current.sentAt) / 1000;
    omni.lastTtfa = current.ttfa;
  }
  const pcm = new Int16Array(data);
  if (!pcm.length) return;
  const context = ensureAudio();
  const buffer = context.createBuffer(1, pcm.length, header.sample_rate);
  const channel = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  sources.add(source);
  source.onended = () => sources.delete(source);
  playAt = Math.max(playAt, context.currentTime + 0.03);
  source.start(playAt);
  playAt += buffer.duration;
  omni.chunksScheduled += 1;
  omni.scheduledSeconds += buffer.duration;
}

function playing() {
  return audio && playAt > audio.currentTime;
}

// ---- questions --------------------------------------------------------------------------

$('ask-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('question').value.trim();
  if (!text) { say('Type a question first.', true); return; }
  ensureAudio();
  if (send({ type: 'ask', text })) begin('text', text);
});

$('cancel').addEventListener('click', () => {
  stopRecording(false);
  send({ type: 'cancel' });
  for (const source of sources) source.stop();
  sources.clear();
  playAt = 0;
});

// ---- the microphone ---------------------------------------------------------------------

async function openMicrophone() {
  if (capture) return true;
  if (!window.isSecureContext || !navigator.mediaDevices) {
    omni.mic = 'insecure';
    say('The microphone needs https or localhost: open this page through an ssh tunnel or serve it with --ssl-certfile (see the note below).', true);
    return false;
  }
  const context = ensureAudio();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
  } catch (error) {
    omni.mic = 'denied';
    const denied = error.name === 'NotAllowedError' || error.name === 'SecurityError';
    say(denied
      ? 'Microphone access was denied. Allow it in the address bar (then reload), or type the question.'
      : `No microphone could be opened (${error.name}). You can still type the question.`, true);
    return false;
  }
  await context.audioWorklet.addModule('/static/worklet.js');
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'capture');
  node.port.onmessage = (message) => onFrame(message.data);
  source.connect(node);  // not to the speakers: no echo of your own voice
  capture = { stream, source, node };
  omni.mic = 'open';
  return true;
}

function startRecording() {
  if (recording || current) return false;
  const rate = audio.sampleRate;
  if (!send({ type: 'audio_start', format: 'pcm16', sample_rate: rate })) return false;
  omni.mic = 'recording';
  recording = { started: performance.now(), samples: 0, rate };
  for (const frame of preroll) sendFrame(frame);
  preroll = [];
  say('Listening…');
  return true;
}

function stopRecording(ask = true) {
  if (!recording) return;
  const { samples, rate } = recording;
  recording = false;
  omni.mic = capture ? 'open' : 'off';
  if (!ask) { send({ type: 'cancel' }); return; }
  if (samples < rate * 0.3) {
    send({ type: 'cancel' });
    say('That was too short to be a question; hold the button while you speak.', true);
    return;
  }
  if (send({ type: 'audio_end' })) begin('audio', '');
  omni.sent += 1;
}

function sendFrame(frame) {
  const pcm = new Int16Array(frame.length);
  for (let i = 0; i < frame.length; i++) pcm[i] = Math.max(-1, Math.min(1, frame[i])) * 32767;
  ws.send(pcm.buffer);
  recording.samples += frame.length;
  const limit = hello ? hello.limits.max_audio_s - 0.5 : 29.5;
  if (recording.samples / recording.rate > limit) stopRecording(true);
}

function onFrame({ frame, rms, vad }) {
  omni.framesCaptured = (omni.framesCaptured || 0) + 1;
  omni.peakLevel = Math.max(omni.peakLevel || 0, rms);
  if (vad) omni.vad = vad;
  $('level').firstElementChild.style.width = `${Math.min(100, rms * 400)}%`;
  const handsFree = $('handsfree').checked;
  if (recording) {
    sendFrame(frame);
    if (handsFree && vad === 'end') stopRecording(true);
    return;
  }
  preroll.push(frame);
  if (preroll.length > 15) preroll.shift();  // 0.3 s before the detector fired
  // hands-free listens only while nothing is being answered or played: no self-echo
  if (handsFree && vad === 'start' && !current && !playing()) startRecording();
}

const ptt = $('ptt');
async function press() {
  if (ptt.classList.contains('held')) return;
  ptt.classList.add('held');
  if (await openMicrophone() && ptt.classList.contains('held')) startRecording();
}
function release() {
  if (!ptt.classList.contains('held')) return;
  ptt.classList.remove('held');
  stopRecording(true);
}
ptt.addEventListener('pointerdown', press);
ptt.addEventListener('pointerup', release);
ptt.addEventListener('pointerleave', release);
document.addEventListener('keydown', (event) => {
  if (event.code === 'Space' && event.target === document.body && !event.repeat) {
    event.preventDefault();
    press();
  }
});
document.addEventListener('keyup', (event) => {
  if (event.code === 'Space' && event.target === document.body) release();
});

$('handsfree').addEventListener('change', async (event) => {
  if (event.target.checked) {
    if (await openMicrophone()) say('Hands-free: just ask; a short pause ends the question.');
    else event.target.checked = false;
  }
});

connect();
