import * as z from 'zod/mini';
import { en } from 'zod/locales';

/*
 * zod/mini ships without a locale, so every default issue message would read "Invalid input".
 * Configuration errors and problem responses quote zod's English wording ("Too small: expected
 * number to be >=1", "Unrecognized key: ..."), so the modules that report issues import this for
 * its side effect. The locale is ~3 KB of a bundle; full zod was ~440 KB.
 */
z.config(en());
