import { BEHAVIOUR_AXIS } from '../../local/matrix';
import { describeMatrix } from './matrix-suite';

// Each behaviour's other variants, one at a time; split over two files so Jest runs them in parallel.
const variants = BEHAVIOUR_AXIS.filter((b) => b.label !== 'defaults' && b.label !== 'pessimistic');
describeMatrix(variants.filter((_, i) => i % 2 === 0));
