import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '/work/wt-tfjs/packages/backend-tfjs/dist/index.js';
import { distForward, distBackward } from '/work/wt-tfjs/packages/backend-tfjs/dist/dist-math.js';
import { naiveDist } from '/work/wt-tfjs/packages/backend-tfjs/dist/naive-dist.js';
await useTfjsPlatform(process.argv[2] ?? 'wasm');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const opts = {beta:2,gamma:2,tau:6,eps:1e-8,epsMode:'design-note'};
for (const B of [256, 1024]) { const C = 1000;
const s = tf.randomNormal([B,C],0,3), t = tf.randomNormal([B,C],0,3);
const fused = () => tf.tidy(()=>{const f=distForward(s,t,opts); distBackward(f.saved,opts);});
const naive = () => { const {value, grad} = tf.valueAndGrad((x)=>naiveDist(x,t,opts).loss)(s); value.dispose(); grad.dispose(); };
const fwd = () => tf.tidy(()=>{distForward(s,t,opts);});
const res = {fused:[], naive:[], fwd:[]};
for (let i=0;i<25;i++) for (const [k,f] of [['fused',fused],['naive',naive],['fwd',fwd]]) { const w=performance.now(); const c=cpu(); f(); res[k].push([performance.now()-w, cpu()-c]); }
const med = a => [...a].sort((x,y)=>x-y)[a.length>>1];
for (const k in res) console.log(B, k, 'wall', med(res[k].slice(3).map(x=>x[0])).toFixed(2), 'cpu', med(res[k].slice(3).map(x=>x[1])).toFixed(2));
}
