/* Kernel strings are bytes, not text: make them valid UTF-8 before they reach JSON. */
#include <stdint.h>
#include <string.h>
#include "core/encode.h"

size_t encode_utf8_seq(const char *buf, size_t n)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t encode_utf8(char *out, const char *buf, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t n = 0, o = 0, seq, i = 0;

	/* Most kernel strings are ASCII: copied as one run up to the first other byte. */
	while (n < maxlen && s[n] && s[n] < 0x80)
		n++;
	memcpy(out, s, n);
	o = i = n;
	while (n < maxlen && s[n])
		n++;
	for (; i < n; i += seq ? seq : 1) {
		seq = encode_utf8_seq((const char *)s + i, n - i);
		if (!seq) {
			out[o++] = (char)0xef; out[o++] = (char)0xbf; out[o++] = (char)0xbd;
			continue;
		}
		for (size_t k = 0; k < seq; k++)
			out[o++] = (char)s[i + k];
	}
	out[o] = 0;
	return o;
}

const char *encode_line(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
}
