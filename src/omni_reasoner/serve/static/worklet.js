// Microphone capture on the audio thread: cuts the input into 20 ms frames, measures
// their energy, and runs a simple voice activity detector (an adaptive noise floor,
// a few loud frames to start, 0.7 s of quiet to end). Every frame goes to the page,
// which decides what to send (push-to-talk sends while held, hands-free between the
// detector's "start" and "end").
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate * 0.02);
    this.frame = new Float32Array(this.size);
    this.filled = 0;
    this.floor = 0.003;
    this.loud = 0;
    this.quiet = 0;
    this.speaking = false;
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      this.frame[this.filled++] = input[i];
      if (this.filled === this.size) {
        this.emit(this.frame);
        this.frame = new Float32Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }

  emit(frame) {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
    const rms = Math.sqrt(sum / frame.length);
    const threshold = Math.max(0.008, this.floor * 3.5);
    if (rms > threshold) { this.loud++; this.quiet = 0; } else { this.quiet++; this.loud = 0; }
    if (!this.speaking) this.floor = 0.95 * this.floor + 0.05 * Math.min(rms, threshold);
    let vad = null;
    if (!this.speaking && this.loud >= 3) { this.speaking = true; vad = 'start'; }
    else if (this.speaking && this.quiet >= 35) { this.speaking = false; vad = 'end'; }
    this.port.postMessage({ frame, rms, vad }, [frame.buffer]);
  }
}

registerProcessor('capture', Capture);
