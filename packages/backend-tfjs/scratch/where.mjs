import * as tf from '@tensorflow/tfjs';
import { useTfjsPlatform } from '../dist/index.js';
await useTfjsPlatform('wasm');
const c = tf.tensor2d([[true,false,true]], [1,3], 'bool');
const a = tf.ones([2,3]), b = tf.zeros([2,3]);
tf.where(c, a, b).print();
