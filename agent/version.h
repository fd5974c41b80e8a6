/* The agent's version, printed by --version and carried by every Kafka envelope. */
#ifndef HOSTMON_VERSION_H
#define HOSTMON_VERSION_H

#ifndef HOSTMON_VERSION
#define HOSTMON_VERSION "0.2.0"
#endif

#endif /* HOSTMON_VERSION_H */
