import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '../dist/index.js';
import { distForward, distBackward } from '../dist/dist-math.js';
await useTfjsPlatform(process.argv[2] ?? 'wasm');
const B=+(process.argv[3] ?? 256),C=1000;
const s = tf.randomNormal([B,C],0,3), t = tf.randomNormal([B,C],0,3);
const opts = {beta:2,gamma:2,tau:6,eps:1e-8,epsMode:'design-note'};
const agg = {};
for (let r=0;r<25;r++) {
const info = await tf.profile(()=>{ tf.tidy(()=>{const f=distForward(s,t,opts); distBackward(f.saved,opts);}); });
if (r<2) continue;
info.kernels.forEach((k,i) => { const key = String(i).padStart(3)+' '+k.name + ' ' + (k.outputShapes?.[0]?.join('x')); agg[key] = agg[key] ?? []; agg[key].push(k.kernelTimeMs); });
}
const min = a => Math.min(...a);
let tot=0, big=0, n=0;
for (const [k,v] of Object.entries(agg)) { const m = min(v); tot+=m; n++; if (m>0.03) { big+=m; console.log(k, m.toFixed(3)); } }
console.log('total kernel min', tot.toFixed(2), 'count', n, 'big', big.toFixed(2));
