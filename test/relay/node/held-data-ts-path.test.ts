/** held-data.test.ts again, on the TypeScript data path (that file runs the native engine where built). */
import { onTsPath } from '../../support/data-paths.js'

await onTsPath(() => import('./held-data.test.js'))
