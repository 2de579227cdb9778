import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '../dist/index.js';
import { distForward, distBackward } from '../dist/dist-math.js';
import { naiveDist } from '../dist/naive-dist.js';
await useTfjsPlatform(process.argv[2] ?? 'wasm');
const opts = {beta:2,gamma:2,tau:6,eps:1e-8,epsMode:'design-note'};
const N = +(process.argv[3] ?? 30);
for (const B of [256, 1024]) { const C = 1000;
const s = tf.randomNormal([B,C],0,3), t = tf.randomNormal([B,C],0,3);
const fused = () => tf.tidy(()=>{const f=distForward(s,t,opts); distBackward(f.saved,opts);});
const naive = () => { const {value, grad} = tf.valueAndGrad((x)=>naiveDist(x,t,opts).loss)(s); value.dispose(); grad.dispose(); };
const res = {fused:[], naive:[]};
for (let i=0;i<N;i++) for (const [k,f] of [['fused',fused],['naive',naive]]) { if (k==='naive' && i%3) continue; const w=performance.now(); f(); res[k].push(performance.now()-w); }
const min = a => Math.min(...a.slice(1)); const med = a => [...a].sort((x,y)=>x-y)[a.length>>1];
console.log(B, 'fused min', min(res.fused).toFixed(2), 'med', med(res.fused).toFixed(2), 'naive min', min(res.naive).toFixed(2), 'med', med(res.naive).toFixed(2), 'ratio(min)', (min(res.naive)/min(res.fused)).toFixed(1));
}
