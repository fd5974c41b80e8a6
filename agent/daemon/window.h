/* Each metrics window assembled: the families' parts, the agent's own figures, Kafka's, sent and served. */
#ifndef HOSTMON_DAEMON_WINDOW_H
#define HOSTMON_DAEMON_WINDOW_H

struct daemon;

/* The first window starts now. */
void window_start(struct daemon *d);
/* Closes the window since the last: one metrics record, sent, flushed and handed to the stats socket. */
void window_emit(struct daemon *d);

#endif /* HOSTMON_DAEMON_WINDOW_H */
