import { nodeFsHarness } from '../support/vfs-harness.ts';
import { vfsSuite } from './vfs-suite.ts';

vfsSuite('NodeFsVfs', nodeFsHarness);
