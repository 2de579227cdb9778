// The whole suite on core's float64 reference, registered the way a backend author would do it.
import { createReferenceBackend } from '@dist-kd/core';
import { afterAll, describe, it } from 'vitest';
import { defineConformanceTests } from '../src/index.js';

defineConformanceTests(() => createReferenceBackend(), { test: it, describe, afterAll, title: 'reference backend', features: { bind: true, shards: true } });
