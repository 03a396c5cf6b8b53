// Java through JNA: a native call declared `throws LastErrorException` fails with
// "[N]<strerror>" (older releases: "[N] <strerror>").
// Source: java-native-access/jna native/dispatch.c (dispatch(): snprintf(msg, "[%d]%s", error, STR_ERROR(...))),
// src/com/sun/jna/LastErrorException.java.
import type { MessageTable } from './types.js';

export const JNA: MessageTable = {
  library: 'Java JNA',
  entries: [
    {
      id: 'jna/last-error',
      library: 'Java JNA',
      pattern: /LastErrorException: \[(\d+)\]/,
      capture: 'number',
      errnos: [],
      calls: [],
      source: 'java-native-access/jna native/dispatch.c dispatch',
      example: 'com.sun.jna.LastErrorException: [24]Too many open files',
    },
  ],
};
