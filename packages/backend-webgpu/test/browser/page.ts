/** Bundled into the browser test's page: runs the backend on navigator.gpu and hands results back. */
import { createBackend } from '../../src/index.js';

interface PageCase {
  student: number[];
  teacher: number[];
  shape: [number, number];
  options?: Record<string, number | string>;
}

const backend = createBackend();

Object.assign(window, {
  distAvailability: () => backend.availability(),
  distCompute: async (cases: PageCase[]) => {
    const results = [];
    for (const c of cases) {
      const result = await backend.compute({
        student: Float32Array.from(c.student),
        teacher: Float32Array.from(c.teacher),
        shape: c.shape,
        options: c.options,
        gradient: true,
      });
      results.push({ loss: result.loss, inter: result.inter, intra: result.intra, gradient: Array.from(result.gradient!) });
    }
    return results;
  },
});
document.title = 'ready';
