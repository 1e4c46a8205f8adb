/** idle-eviction.test.ts again, on the TypeScript data path (that file runs the native engine where built). */
import { onTsPath } from '../../support/data-paths.js'

await onTsPath(() => import('./idle-eviction.test.js'))
