const B=1024,C=1000;
const p = Float32Array.from({length:B*C},()=>Math.random()), q = Float32Array.from({length:B*C},()=>Math.random());
function stats(p,q){
  const rowXY = new Float64Array(B), meanP = new Float64Array(C), meanQ = new Float64Array(C);
  for (let i = 0, k = 0; i < B; i++) { let xy=0; for (let j=0;j<C;j++,k++){ const x=p[k], y=q[k]; xy+=x*y; meanP[j]+=x; meanQ[j]+=y; } rowXY[i]=xy; }
  return rowXY;
}
for (let r=0;r<10;r++){ const w=performance.now(); stats(p,q); console.log((performance.now()-w).toFixed(2)); }
