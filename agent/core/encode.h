/* JSON encoding of untrusted bytes from the kernel (comms, paths). */
#ifndef HOSTMON_ENCODE_H
#define HOSTMON_ENCODE_H

#include <stddef.h>
#include <json-c/json.h>
#include "core/compiler.h"

/* Length of the well-formed UTF-8 sequence at buf (at most n >= 1 bytes), or
 * 0 if it is not one (overlong forms, surrogates, past U+10FFFF, cut short). */
size_t encode_utf8_seq(const char *buf, size_t n);

/*
 * Copies at most maxlen bytes of buf, stopping at the first NUL, into out as
 * valid UTF-8: every byte that is not part of a well-formed sequence becomes
 * U+FFFD. out must hold 3 * maxlen + 1 bytes. Returns the length written.
 */
size_t encode_utf8(char *out, const char *buf, size_t maxlen);

/* A json-c object (an admin answer) as a single line of JSON, without the newline. */
const char *encode_line(struct json_object *obj);

#endif /* HOSTMON_ENCODE_H */
