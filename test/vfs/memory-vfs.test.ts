import { memoryHarness } from '../support/vfs-harness.ts';
import { vfsSuite } from './vfs-suite.ts';

vfsSuite('MemoryVfs', memoryHarness);
