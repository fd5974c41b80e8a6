/* Any protobuf-c message as a json-c object, walked through its descriptor. */
#ifndef HOSTMON_PBJSON_H
#define HOSTMON_PBJSON_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

/*
 * Fields by their .proto names; proto3 scalars always (zero included), unset
 * messages and oneof members left out; enums by value name, 64-bit integers
 * exact, bytes as lowercase hex, map fields as objects. NULL on ENOMEM.
 */
struct json_object *pbjson_message(const ProtobufCMessage *msg);

#endif /* HOSTMON_PBJSON_H */
