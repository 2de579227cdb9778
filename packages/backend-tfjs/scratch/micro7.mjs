import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '../dist/index.js';
await useTfjsPlatform(process.argv[2] ?? 'wasm');
for (const [B,C] of [[256,1000],[1024,1000]]) {
const x = tf.randomNormal([B,C]);
const ones = tf.ones([B,1]);
const ops = { copy: (y)=>null, mmTX: (y)=>tf.matMul(y, ones, true, false), avgPool: (y)=>tf.avgPool(tf.reshape(y,[1,B,1,C]), [B,1], [B,1], 'valid'),
  sum1: (y)=>tf.sum(y,1), max1: (y)=>tf.max(y,1), maxPoolRow: (y)=>tf.maxPool(tf.reshape(y,[1,B,C,1]), [1,C],[1,C],'valid'), mul:(y)=>tf.mul(y,y), softmax: (y)=>tf.softmax(y)};
for (const [name, f] of Object.entries(ops)) {
  const run = () => { const y = tf.mul(x, 1.0001); const w = performance.now(); const r = f(y); const d = performance.now()-w; y.dispose(); r?.dispose(); return d; };
  for (let w=0; w<3; w++) run();
  const ts = []; for (let k=0;k<40;k++) ts.push(run());
  console.log(B, name.padEnd(10), 'min', Math.min(...ts).toFixed(3), 'ms');
}
const a = await tf.avgPool(tf.reshape(x,[1,B,1,C]), [B,1], [B,1], 'valid').data(); const b = await tf.mean(x,0).data(); console.log(a[3], b[3], a.length);
}
