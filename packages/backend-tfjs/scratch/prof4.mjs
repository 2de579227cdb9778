import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '../dist/index.js';
import { correlationStatistics } from '../dist/statistics.js';
await useTfjsPlatform('wasm');
const B=1024,C=1000;
const s = tf.randomNormal([B,C],0,3), t = tf.randomNormal([B,C],0,3);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let r=0;r<8;r++){
 let c=cpu(), w=performance.now();
 const a = s.dataSync(); const b = t.dataSync();
 const c1=cpu(), w1=performance.now();
 tf.tidy(()=>{correlationStatistics(s,t);});
 console.log('read', (w1-w).toFixed(2), (c1-c).toFixed(2), 'stats', (performance.now()-w1).toFixed(2), (cpu()-c1).toFixed(2));
}
