// vigil pump: moves bytes between pairs of connected TCP sockets on one thread of its own (epoll, level
// triggered). It is the proxy's L4 forwarding loop only; every decision (when to connect, where, when to hold,
// freeze or close) stays in TypeScript (src/proxy/dataplane.ts), which hands a session over once both sockets are
// connected and then sends commands.
//
// Contract (JS side: src/proxy/pump.ts):
//   create(onClosed)                 -> handle; onClosed(id, code) runs on the JS thread when a session has ended
//                                    (code 0), or for dial: connected (-1) or failed (errno > 0)
//   add(h, id, fdA, fdB, pre|null, frozen, group, idleMs)
//                                    duplicates fdA (client) and fdB (upstream) right away, so the caller may close
//                                    its own descriptors on return; `pre` = bytes already read from A, sent to B
//                                    first (not while frozen). Ids are the caller's, unique among live sessions of
//                                    this handle; group (< 256) names the counters the session adds to; idleMs > 0
//                                    closes both sides after that long without a byte read from either (checked
//                                    every 250 ms).
//   dial(h, id, fdA, host, port, srcHost|null, frozen, group, idleMs, timeoutMs, keepAliveMs)
//                                    like add, but B is a new TCP connection the thread makes itself to host:port
//                                    (numeric IPv4/IPv6; bound to srcHost first when given; TCP_NODELAY, and
//                                    keepalive like Node's setKeepAlive when keepAliveMs > 0): non-blocking
//                                    connect, epoll for writability, SO_ERROR, given up after timeoutMs. A is not
//                                    read until B is connected. Then onClosed(id, -1) ("connected"; forwarding has
//                                    begun) and later onClosed(id, 0) as for add; or, when the connect fails or
//                                    times out, onClosed(id, errno) (ETIMEDOUT for the timeout) instead, and nothing
//                                    else: the pump closed its copy of A and B, the caller's A is untouched.
//   freeze(h, id, on)                on: stop reading A and stop writing A's pending bytes to B (B's replies
//                                    still reach A); off: flush what A had pending, read A again
//   close(h, id, mode, msg|null)     mode 0 (fence): close B now, send what B already sent plus `msg` to A, then
//                                    FIN to A; A is read and discarded until it closes or 1 s passes.
//                                    mode 1 (abort): close both now. Either way onClosed(id) follows.
//                                    mode 2 (cancel, for dial): while still connecting, the dial fails with
//                                    ECANCELED (A untouched, nothing forwarded); once connected, a fence.
//   stats(h, group)                  -> [bytes read from A sides, bytes read from B sides, live sessions]
//   destroy(h)                       stops the thread and closes every descriptor it owns.
// A session ends by itself when both directions have seen EOF and everything is written (half-close is passed
// on with shutdown(SHUT_WR), like allowHalfOpen sockets), or on any socket error.
// Commands are queued under a mutex and the thread is woken through an eventfd; only the thread touches
// sessions.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#define RBUF_SIZE (256 * 1024)
#define NBUCKETS 4096
#define CLOSE_GRACE_MS 1000
#define NGROUPS 256
#define IDLE_SWEEP_MS 250

typedef struct session session_t;

typedef struct {
  session_t *s;
  int side; // 0 = A (client), 1 = B (upstream); -1 = the wake-up eventfd
} tag_t;

typedef struct {
  char *buf;
  size_t off, len, cap;
} pend_t;

struct session {
  uint32_t id;
  uint32_t group; // the caller's counter group (one per listener)
  int fd[2];
  tag_t tag[2];
  pend_t pend[2];     // pend[i]: read from side i, not yet written to the other side
  uint8_t eof[2];     // EOF read on side i
  uint8_t shut[2];    // shutdown(SHUT_WR) done on side i
  uint8_t hup[2];     // EPOLLHUP seen on side i while not reading it: kept out of epoll until reads resume
  uint8_t frozen;     // do not read side A
  uint8_t closing;    // fenced: B is closed, A is draining
  uint8_t dead;       // finished; freed at the end of the current epoll batch
  uint8_t unnotified; // finished, but onClosed could not be queued yet: kept on the retry list until it is
  uint8_t connecting; // dial: B's connect is in progress (A is not watched yet)
  int note;           // the code its final onClosed carries (0, or the errno of a failed dial)
  int64_t conn_deadline; // connecting: when to give up (ETIMEDOUT)
  session_t *xnext;      // connecting list
  uint32_t want[2];   // epoll interest registered per side
  uint8_t reg[2];     // side registered with epoll (possibly with no events: HUP/ERR still arrive)
  int64_t deadline;   // closing: when to give up on A
  uint32_t idle_ms;   // close after this long without a byte read (0 = never)
  int64_t last;       // last read, ms (monotonic), kept only when idle_ms > 0
  session_t *hnext;   // hash chain
  session_t *cnext;   // closing list / dead list
};

enum { CMD_ADD, CMD_FREEZE, CMD_CLOSE, CMD_FAIL, CMD_DIAL };

typedef struct cmd {
  int kind;
  uint32_t id;
  uint32_t group;
  int fda, fdb;
  int arg;
  uint32_t idle_ms;
  char *data;
  size_t len;
  int note; // a failed add/dial kept for retry: the code of its onClosed
  // CMD_DIAL: where to connect, the source address (srclen 0: none), connect timeout, keepalive idle seconds
  struct sockaddr_storage dst, src;
  socklen_t dstlen, srclen;
  uint32_t timeout_ms;
  int keepalive_s;
  struct cmd *next;
} cmd_t;

typedef struct {
  int ep;
  int evfd;
  tag_t evtag;
  pthread_t thread;
  pthread_mutex_t mu;
  cmd_t *head, *tail;
  napi_threadsafe_function tsfn;
  session_t *buckets[NBUCKETS];
  session_t *closing;
  session_t *connecting; // dials in progress (xnext), checked for their deadline every loop turn
  session_t *dead; // finished sessions, freed after the batch (later events of the batch may name them)
  session_t *retry; // finished sessions whose onClosed could not be queued (retried every loop turn)
  cmd_t *retry_add; // adds that could not become sessions (no memory), onClosed not queued yet
  char *rbuf;
  uint64_t bytes[NGROUPS][2]; // per group: read from A sides, read from B sides (atomics)
  int64_t live[NGROUPS];      // per group (atomic)
  int idle_sessions;          // sessions with an idle timeout (thread only)
  int64_t next_sweep;
  int stop_req;  // destroy asked the thread to stop (atomic)
  int fail_req;  // test hook: make the loop exit as on an epoll error (atomic)
  int exited;    // the thread has left its loop: commands are refused (under mu)
  int destroyed; // destroy ran (JS thread only)
} pump_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static session_t *lookup(pump_t *p, uint32_t id) {
  for (session_t *s = p->buckets[id % NBUCKETS]; s; s = s->hnext)
    if (s->id == id) return s;
  return NULL;
}

static void drop_connecting(pump_t *p, session_t *s) {
  if (!s->connecting) return;
  session_t **xp = &p->connecting;
  while (*xp && *xp != s) xp = &(*xp)->xnext;
  if (*xp) *xp = s->xnext;
  s->connecting = 0;
}

static void unlink_session(pump_t *p, session_t *s) {
  drop_connecting(p, s);
  session_t **pp = &p->buckets[s->id % NBUCKETS];
  while (*pp && *pp != s) pp = &(*pp)->hnext;
  if (*pp) *pp = s->hnext;
  if (s->closing) {
    session_t **cp = &p->closing;
    while (*cp && *cp != s) cp = &(*cp)->cnext;
    if (*cp) *cp = s->cnext;
  }
}

// Sides stay registered while open, with an empty event set when nothing is wanted, so that a peer's reset or
// hang-up (EPOLLERR/EPOLLHUP, always reported) is seen even while the side is frozen or back-pressured.
static void unregister(pump_t *p, session_t *s, int i);
static void finish(pump_t *p, session_t *s);
static void finish_code(pump_t *p, session_t *s, int code);

static void set_want(pump_t *p, session_t *s, int i, uint32_t want) {
  if (s->fd[i] < 0) return;
  // A hung-up side reports EPOLLHUP for as long as it is registered: keep it out while it has nothing to do, or
  // the loop would spin on it (see on_hup).
  if (s->hup[i] && want == 0) {
    unregister(p, s, i);
    return;
  }
  if (s->reg[i] && s->want[i] == want) return;
  struct epoll_event ev = {.events = want, .data = {.ptr = &s->tag[i]}};
  if (epoll_ctl(p->ep, s->reg[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd[i], &ev) < 0) {
    // Not watched means never served (ENOMEM, ENOSPC: max_user_watches): end the session rather than hang it (a
    // dial still in progress fails, so the caller may hold and retry).
    finish_code(p, s, s->connecting ? (errno ? errno : EIO) : 0);
    return;
  }
  s->reg[i] = 1;
  s->want[i] = want;
}

static void unregister(pump_t *p, session_t *s, int i) {
  // A failed DEL leaves nothing to undo: the descriptor is registered or not, and closing it removes it anyway.
  if (s->fd[i] >= 0 && s->reg[i] && epoll_ctl(p->ep, EPOLL_CTL_DEL, s->fd[i], NULL) < 0) { /* see above */
  }
  s->reg[i] = 0;
  s->want[i] = 0;
}

// What side i should be polled for, from the session's state.
static void refresh(pump_t *p, session_t *s, int i) {
  uint32_t w = 0;
  if (s->closing) {
    if (i == 0) w = (s->eof[0] ? 0 : EPOLLIN) | (s->pend[1].len ? EPOLLOUT : 0);
  } else {
    if (!s->eof[i] && s->pend[i].len == 0 && !(i == 0 && s->frozen)) w |= EPOLLIN;
    // Bytes from A wait while frozen (nothing reaches B while the gate is closed); B's bytes still reach A.
    if (s->pend[1 - i].len && !(i == 1 && s->frozen)) w |= EPOLLOUT;
  }
  set_want(p, s, i, w);
}

// Queue onClosed(id, code) for the JS thread (id 0: this pump's thread has exited; code: 0 ended, -1 connected,
// > 0 the errno of a failed dial). Both travel in the pointer (id in the low 32 bits), so nothing is allocated
// here; -1 when the call could not be queued (the caller keeps it for a retry).
_Static_assert(sizeof(void *) >= 8, "the pump packs id and code into a pointer");
static int notify(pump_t *p, uint32_t id, int code) {
  uintptr_t v = ((uintptr_t)(uint32_t)code << 32) | id;
  return napi_call_threadsafe_function(p->tsfn, (void *)v, napi_tsfn_nonblocking) == napi_ok ? 0 : -1;
}

// Retry notifications that could not be queued before (sessions and failed adds). Returns how many still wait.
static int retry_notifications(pump_t *p) {
  int left = 0;
  for (session_t **pp = &p->retry; *pp;) {
    session_t *s = *pp;
    if (notify(p, s->id, s->note) == 0) {
      *pp = s->cnext;
      free(s);
    } else {
      pp = &s->cnext;
      left++;
    }
  }
  for (cmd_t **pp = &p->retry_add; *pp;) {
    cmd_t *c = *pp;
    if (notify(p, c->id, c->note) == 0) {
      *pp = c->next;
      free(c->data);
      free(c);
    } else {
      pp = &c->next;
      left++;
    }
  }
  return left;
}

static void finish(pump_t *p, session_t *s) { finish_code(p, s, 0); }

// End a session; `code` goes with its one onClosed (0, or a failed dial's errno).
static void finish_code(pump_t *p, session_t *s, int code) {
  if (s->dead) return;
  s->note = code;
  for (int i = 0; i < 2; i++) {
    unregister(p, s, i);
    if (s->fd[i] >= 0) close(s->fd[i]);
    s->fd[i] = -1;
    free(s->pend[i].buf);
    s->pend[i].buf = NULL;
    s->pend[i].len = 0;
  }
  unlink_session(p, s);
  if (s->idle_ms) p->idle_sessions--;
  s->dead = 1;
  s->cnext = p->dead;
  p->dead = s;
  __atomic_fetch_sub(&p->live[s->group], 1, __ATOMIC_RELAXED);
  if (notify(p, s->id, code) < 0) s->unnotified = 1;
}

static void reap(pump_t *p) {
  while (p->dead) {
    session_t *s = p->dead;
    p->dead = s->cnext;
    if (s->unnotified) {
      s->cnext = p->retry;
      p->retry = s;
    } else {
      free(s);
    }
  }
}

static int append(pend_t *q, const char *data, size_t n) {
  if (q->off > 0 && q->len > 0 && q->off + q->len + n > q->cap) {
    memmove(q->buf, q->buf + q->off, q->len);
    q->off = 0;
  } else if (q->len == 0) {
    q->off = 0;
  }
  if (q->off + q->len + n > q->cap) {
    size_t cap = q->cap ? q->cap : 16384;
    while (cap < q->off + q->len + n) cap *= 2;
    char *b = realloc(q->buf, cap);
    if (!b) return -1;
    q->buf = b;
    q->cap = cap;
  }
  memcpy(q->buf + q->off + q->len, data, n);
  q->len += n;
  return 0;
}

// Write what is pending for the other side of i (pend[i] goes to side 1-i). Returns -1 on a fatal error.
static int flush_to(session_t *s, int i) {
  pend_t *q = &s->pend[i];
  int to = 1 - i;
  while (q->len > 0) {
    ssize_t w = send(s->fd[to], q->buf + q->off, q->len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    q->off += (size_t)w;
    q->len -= (size_t)w;
  }
  q->off = 0;
  if (s->eof[i] && !s->shut[to]) {
    shutdown(s->fd[to], SHUT_WR);
    s->shut[to] = 1;
  }
  return 0;
}

// A fenced session ends once A has everything (and our FIN) and A has closed its side, or at the deadline.
static void closing_progress(pump_t *p, session_t *s) {
  if (s->pend[1].len == 0 && s->shut[0] && s->eof[0]) {
    finish(p, s);
    return;
  }
  refresh(p, s, 0);
}

static void start_closing(pump_t *p, session_t *s, const char *msg, size_t msglen) {
  // B goes now; A gets what B already sent, the message, then FIN.
  unregister(p, s, 1);
  if (s->fd[1] >= 0) close(s->fd[1]);
  s->fd[1] = -1;
  s->pend[0].len = 0;
  s->closing = 1;
  s->frozen = 1;
  if (msg && msglen) append(&s->pend[1], msg, msglen);
  s->eof[1] = 1;
  s->shut[0] = 0;
  s->deadline = now_ms() + CLOSE_GRACE_MS;
  s->cnext = p->closing;
  p->closing = s;
  // flush_to(s, 1) sends pend[1] to A and shuts A's write side once it is empty (eof[1] is set).
  if (flush_to(s, 1) < 0) {
    finish(p, s);
    return;
  }
  closing_progress(p, s);
}

static void on_readable(pump_t *p, session_t *s, int i) {
  // An event collected before a command of the same batch (freeze, fence) or before back-pressure set in must not
  // act: reading now would forward while frozen or overtake bytes already pending.
  if (!s->closing && ((i == 0 && s->frozen) || s->pend[i].len > 0)) return;
  ssize_t n = recv(s->fd[i], p->rbuf, RBUF_SIZE, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    finish(p, s);
    return;
  }
  if (s->idle_ms) s->last = now_ms();
  if (s->closing) { // draining A after a fence: discard what it sends; its EOF only stops the reading
    if (n == 0) {
      s->eof[0] = 1;
      closing_progress(p, s);
    }
    return;
  }
  if (n == 0) {
    s->eof[i] = 1;
    if (s->pend[i].len == 0 && !s->shut[1 - i]) {
      shutdown(s->fd[1 - i], SHUT_WR);
      s->shut[1 - i] = 1;
    }
    if (s->eof[0] && s->eof[1] && s->pend[0].len == 0 && s->pend[1].len == 0) {
      finish(p, s);
      return;
    }
    refresh(p, s, i);
    return;
  }
  __atomic_fetch_add(&p->bytes[s->group][i], (uint64_t)n, __ATOMIC_RELAXED);
  ssize_t w;
  do {
    w = send(s->fd[1 - i], p->rbuf, (size_t)n, MSG_NOSIGNAL);
  } while (w < 0 && errno == EINTR);
  if (w < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      finish(p, s);
      return;
    }
    w = 0;
  }
  if (w < n) {
    if (append(&s->pend[i], p->rbuf + w, (size_t)(n - w)) < 0) {
      finish(p, s);
      return;
    }
    refresh(p, s, i);
    refresh(p, s, 1 - i);
  }
}

// EPOLLHUP on side i without EPOLLIN (we are not reading i: frozen, back-pressured or at EOF) and without
// EPOLLERR: both directions of i are shut. Bytes may still wait in i's kernel queue, behind what is pending:
// they are read, to EOF, once reads of i resume, like any other half-closed peer. Only a side with nothing left
// to read whose write side we did not shut ourselves is a peer that is gone.
static void on_hup(pump_t *p, session_t *s, int i) {
  if (s->closing || (s->eof[i] && !s->shut[i])) {
    finish(p, s);
    return;
  }
  s->hup[i] = 1;
  refresh(p, s, i);
}

static void on_writable(pump_t *p, session_t *s, int to) {
  int i = 1 - to;
  if (to == 1 && s->frozen) return; // stale: nothing goes upstream while frozen
  if (flush_to(s, i) < 0) {
    finish(p, s);
    return;
  }
  if (s->closing) {
    closing_progress(p, s);
    return;
  }
  if (s->eof[0] && s->eof[1] && s->pend[0].len == 0 && s->pend[1].len == 0) {
    finish(p, s);
    return;
  }
  refresh(p, s, i);
  refresh(p, s, to);
}

// B of a dial is connected (SO_ERROR 0): tell JS, then forward as for add.
static void on_connected(pump_t *p, session_t *s) {
  drop_connecting(p, s);
  if (s->idle_ms) s->last = now_ms();
  // "Connected" lets JS drop its client socket. If it cannot be queued (only while the callback is being torn
  // down), JS keeps that socket until the final onClosed, which still comes.
  if (notify(p, s->id, -1) < 0) { /* see above */
  }
  refresh(p, s, 1);
  if (!s->dead) refresh(p, s, 0);
}

// An event on B while its connect is in progress: writable = done, then SO_ERROR says how.
static void on_connect_event(pump_t *p, session_t *s, uint32_t e) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno ? errno : EIO;
  if (!err && !(e & EPOLLOUT)) err = ECONNRESET; // hang-up without an error and without writability
  if (err) {
    finish_code(p, s, err);
    return;
  }
  on_connected(p, s);
}

static int set_int(int fd, int level, int opt, int v) { return setsockopt(fd, level, opt, &v, sizeof v); }

// Start B's connect for a dial session already in the hash (fd[1] = -1). Any failure ends it with the errno.
static void start_dial(pump_t *p, session_t *s, cmd_t *c) {
  int fd = socket(c->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    finish_code(p, s, errno ? errno : EIO);
    return;
  }
  s->fd[1] = fd;
  if (set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0 ||
      (c->keepalive_s > 0 &&
       (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) < 0 || set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, c->keepalive_s) < 0 ||
        set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1) < 0 || set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 10) < 0)) ||
      (c->srclen && bind(fd, (struct sockaddr *)&c->src, c->srclen) < 0)) {
    finish_code(p, s, errno ? errno : EIO);
    return;
  }
  int r;
  do {
    r = connect(fd, (struct sockaddr *)&c->dst, c->dstlen);
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    on_connected(p, s);
    return;
  }
  if (errno != EINPROGRESS) {
    finish_code(p, s, errno ? errno : EIO);
    return;
  }
  s->connecting = 1;
  s->conn_deadline = now_ms() + c->timeout_ms;
  s->xnext = p->connecting;
  p->connecting = s;
  set_want(p, s, 1, EPOLLOUT);
}

static void run_cmd(pump_t *p, cmd_t *c) {
  if (c->kind == CMD_ADD || c->kind == CMD_DIAL) {
    int dial = c->kind == CMD_DIAL;
    session_t *s = calloc(1, sizeof(session_t));
    if (!s) {
      close(c->fda);
      if (c->fdb >= 0) close(c->fdb);
      c->fda = c->fdb = -1;
      c->note = dial ? ENOMEM : 0; // a dial that could not start fails (the caller may retry)
      if (notify(p, c->id, c->note) < 0) {
        c->kind = -1; // kept by run_commands for retry_notifications
      }
      return;
    }
    s->id = c->id;
    s->group = c->group;
    s->fd[0] = c->fda;
    s->fd[1] = dial ? -1 : c->fdb;
    for (int i = 0; i < 2; i++) {
      s->tag[i].s = s;
      s->tag[i].side = i;
    }
    s->frozen = (uint8_t)c->arg;
    s->idle_ms = c->idle_ms;
    if (s->idle_ms) {
      s->last = now_ms();
      p->idle_sessions++;
    }
    s->hnext = p->buckets[c->id % NBUCKETS];
    p->buckets[c->id % NBUCKETS] = s;
    __atomic_fetch_add(&p->live[s->group], 1, __ATOMIC_RELAXED);
    if (dial) {
      start_dial(p, s, c);
      return;
    }
    if (c->len && append(&s->pend[0], c->data, c->len) < 0) {
      finish(p, s);
      return;
    }
    if (!s->frozen && flush_to(s, 0) < 0) {
      finish(p, s);
      return;
    }
    refresh(p, s, 0);
    refresh(p, s, 1);
    return;
  }
  session_t *s = lookup(p, c->id);
  if (!s) return;
  if (s->connecting) {
    // Nothing was forwarded yet: a freeze only sets how the session starts; a cancel fails the dial (ECANCELED:
    // the caller's client is untouched, it may re-dial or close it), fence and abort end it.
    if (c->kind == CMD_FREEZE) s->frozen = (uint8_t)c->arg;
    else if (c->kind == CMD_CLOSE) finish_code(p, s, c->arg == 2 ? ECANCELED : 0);
    return;
  }
  if (c->kind == CMD_FREEZE) {
    if (s->closing) return;
    s->frozen = (uint8_t)c->arg;
    if (!s->frozen && flush_to(s, 0) < 0) {
      finish(p, s);
      return;
    }
    refresh(p, s, 0);
    refresh(p, s, 1);
  } else if (c->kind == CMD_CLOSE) {
    if (c->arg == 1) {
      finish(p, s);
    } else if (!s->closing) { // fence, or a cancel that came after the connect: bytes may have gone both ways
      start_closing(p, s, c->data, c->len);
    }
  }
}

static void run_commands(pump_t *p) {
  uint64_t v;
  if (read(p->evfd, &v, sizeof v) < 0) { /* nothing pending */
  }
  pthread_mutex_lock(&p->mu);
  cmd_t *c = p->head;
  p->head = p->tail = NULL;
  pthread_mutex_unlock(&p->mu);
  while (c) {
    cmd_t *next = c->next;
    if (c->kind == CMD_FAIL) __atomic_store_n(&p->fail_req, 1, __ATOMIC_RELAXED);
    else run_cmd(p, c);
    if (c->kind == -1) {
      c->next = p->retry_add;
      p->retry_add = c;
    } else {
      free(c->data);
      free(c);
    }
    c = next;
  }
}

// The loop is over (destroy, or an epoll error): refuse further commands, close what queued adds brought, end
// every session (each gets its onClosed), then tell JS the thread is gone (onClosed(0)).
static void shut_down(pump_t *p) {
  pthread_mutex_lock(&p->mu);
  p->exited = 1;
  cmd_t *c = p->head;
  p->head = p->tail = NULL;
  pthread_mutex_unlock(&p->mu);
  while (c) {
    cmd_t *next = c->next;
    if (c->kind == CMD_ADD || c->kind == CMD_DIAL) {
      close(c->fda);
      if (c->fdb >= 0) close(c->fdb);
      if (notify(p, c->id, 0) < 0) { /* JS ends every session it still knows of on onClosed(0) or destroy */
      }
    }
    free(c->data);
    free(c);
    c = next;
  }
  for (int b = 0; b < NBUCKETS; b++) {
    while (p->buckets[b]) finish(p, p->buckets[b]);
  }
  reap(p);
  retry_notifications(p);
  while (p->retry) {
    session_t *s = p->retry;
    p->retry = s->cnext;
    free(s);
  }
  while (p->retry_add) {
    cmd_t *r = p->retry_add;
    p->retry_add = r->next;
    free(r->data);
    free(r);
  }
  if (notify(p, 0, 0) < 0) { /* destroy() ends what is left on the JS side */
  }
}

static void *thread_main(void *arg) {
  pump_t *p = arg;
  pthread_setname_np(pthread_self(), "vigil-pump"); // shows in top -H, ps -L, /proc/PID/task/*/comm
  struct epoll_event evs[256];
  int retries = 0;
  while (!__atomic_load_n(&p->stop_req, __ATOMIC_RELAXED) && !__atomic_load_n(&p->fail_req, __ATOMIC_RELAXED)) {
    int timeout = p->closing || retries ? 100 : p->idle_sessions ? IDLE_SWEEP_MS : -1;
    if (p->connecting) { // wake for the earliest connect deadline
      int64_t now = now_ms(), first = INT64_MAX;
      for (session_t *s = p->connecting; s; s = s->xnext)
        if (s->conn_deadline < first) first = s->conn_deadline;
      int64_t left = first > now ? first - now : 0;
      if (timeout < 0 || left < timeout) timeout = (int)left;
    }
    int n = epoll_wait(p->ep, evs, 256, timeout);
    if (n < 0 && errno != EINTR) break;
    // Commands first: a freeze queued before a client's bytes reached us must win over those bytes even when both
    // land in the same batch.
    for (int k = 0; k < n; k++) {
      if (((tag_t *)evs[k].data.ptr)->side < 0) run_commands(p);
    }
    for (int k = 0; k < n; k++) {
      tag_t *t = evs[k].data.ptr;
      if (t->side < 0) continue;
      session_t *s = t->s;
      int i = t->side;
      uint32_t e = evs[k].events;
      // Dead, or a side closed by a fence earlier in this batch: the event is stale.
      if (s->dead || s->fd[i] < 0) continue;
      if (s->connecting) {
        if (i == 1) on_connect_event(p, s, e);
        continue;
      }
      if (e & EPOLLERR) {
        finish(p, s);
        continue;
      }
      if (e & EPOLLOUT) on_writable(p, s, i);
      if (s->dead || s->fd[i] < 0) continue;
      if (e & EPOLLIN) on_readable(p, s, i);
      // A hang-up on a side we are not reading (frozen, back-pressured, or already at EOF).
      else if (e & EPOLLHUP) on_hup(p, s, i);
    }
    if (p->idle_sessions) {
      int64_t now = now_ms();
      if (now >= p->next_sweep) {
        p->next_sweep = now + IDLE_SWEEP_MS;
        for (int b = 0; b < NBUCKETS; b++) {
          for (session_t *s = p->buckets[b], *next; s; s = next) {
            next = s->hnext;
            if (s->idle_ms && !s->closing && !s->connecting && now - s->last >= (int64_t)s->idle_ms) finish(p, s);
          }
        }
      }
    }
    if (p->connecting) {
      int64_t now = now_ms();
      for (session_t *s = p->connecting, *next; s; s = next) {
        next = s->xnext;
        if (now >= s->conn_deadline) finish_code(p, s, ETIMEDOUT);
      }
    }
    if (p->closing) {
      int64_t now = now_ms();
      for (session_t *s = p->closing, *next; s; s = next) {
        next = s->cnext;
        if (now >= s->deadline) finish(p, s);
      }
    }
    reap(p);
    retries = p->retry || p->retry_add ? retry_notifications(p) : 0;
  }
  shut_down(p);
  return NULL;
}

// --- JS glue ---------------------------------------------------------------------------------------------------
// Every N-API call is checked: a failure throws a JS error naming the call, and nothing half-made is left behind.

#define THROW(env, msg)                                                                                            \
  do {                                                                                                             \
    napi_throw_error(env, NULL, msg);                                                                              \
    return NULL;                                                                                                   \
  } while (0)

#define NAPI(env, call)                                                                                            \
  do {                                                                                                             \
    if ((call) != napi_ok) THROW(env, "pump: N-API call failed: " #call);                                          \
  } while (0)

static void call_js(napi_env env, napi_value cb, void *ctx, void *data) {
  (void)ctx;
  uintptr_t v = (uintptr_t)data;
  uint32_t id = (uint32_t)v;
  int32_t code = (int32_t)(uint32_t)(v >> 32);
  if (!env || !cb) return;
  napi_value undef, args[2];
  if (napi_get_undefined(env, &undef) != napi_ok || napi_create_uint32(env, id, &args[0]) != napi_ok ||
      napi_create_int32(env, code, &args[1]) != napi_ok)
    return;
  // An exception thrown by the callback is Node's to report (uncaught); nothing here to undo.
  napi_call_function(env, undef, cb, 2, args, NULL);
}

static void wake(pump_t *p) {
  uint64_t one = 1;
  if (write(p->evfd, &one, sizeof one) < 0) { /* counter saturated: a wake-up is pending anyway */
  }
}

// Queue a command for the thread; -1 (c not taken) once the thread has exited.
static int push(pump_t *p, cmd_t *c) {
  c->next = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->exited) {
    pthread_mutex_unlock(&p->mu);
    return -1;
  }
  if (p->tail) p->tail->next = c;
  else p->head = c;
  p->tail = c;
  pthread_mutex_unlock(&p->mu);
  wake(p);
  return 0;
}

static pump_t *get_pump(napi_env env, napi_value v) {
  pump_t *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, (void **)&p) != napi_ok) return NULL;
  return p;
}

static void stop_pump(pump_t *p) {
  if (p->destroyed) return;
  p->destroyed = 1;
  __atomic_store_n(&p->stop_req, 1, __ATOMIC_RELAXED);
  wake(p);
  pthread_join(p->thread, NULL);
  close(p->ep);
  close(p->evfd);
  free(p->rbuf);
  p->rbuf = NULL;
  pthread_mutex_destroy(&p->mu);
  napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
  // The pump_t itself stays allocated: the JS external may still be passed to later calls (they then throw).
}

static void env_cleanup(void *arg) { stop_pump(arg); }

static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name, ext;
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t;
  NAPI(env, napi_typeof(env, argv[0], &t));
  if (argc < 1 || t != napi_function) THROW(env, "create(onClosed) needs a callback");
  NAPI(env, napi_create_string_utf8(env, "vigil-pump", NAPI_AUTO_LENGTH, &name));
  pump_t *p = calloc(1, sizeof(pump_t));
  if (!p) THROW(env, "out of memory");
  p->ep = p->evfd = -1;
  const char *why = NULL;
  int have_mu = 0, have_tsfn = 0;
  p->rbuf = malloc(RBUF_SIZE);
  p->ep = epoll_create1(EPOLL_CLOEXEC);
  p->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  p->evtag.s = NULL;
  p->evtag.side = -1;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.ptr = &p->evtag}};
  if (!p->rbuf || p->ep < 0 || p->evfd < 0) why = "pump: cannot create epoll/eventfd";
  if (!why && epoll_ctl(p->ep, EPOLL_CTL_ADD, p->evfd, &ev) < 0) why = "pump: cannot watch its eventfd";
  if (!why) {
    if (pthread_mutex_init(&p->mu, NULL) == 0) have_mu = 1;
    else why = "pump: cannot create its mutex";
  }
  if (!why) {
    if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &p->tsfn) ==
        napi_ok)
      have_tsfn = 1;
    else why = "pump: cannot create the callback";
  }
  if (!why && napi_unref_threadsafe_function(env, p->tsfn) != napi_ok) why = "pump: cannot unref the callback";
  if (!why && napi_create_external(env, p, NULL, NULL, &ext) != napi_ok) why = "pump: cannot create its handle";
  if (!why && pthread_create(&p->thread, NULL, thread_main, p) != 0) why = "pump: cannot start its thread";
  if (why) {
    // Nothing reaches JS (the external, if made, is not returned and has no finalizer), so all of it goes.
    if (have_tsfn) napi_release_threadsafe_function(p->tsfn, napi_tsfn_abort);
    if (have_mu) pthread_mutex_destroy(&p->mu);
    if (p->ep >= 0) close(p->ep);
    if (p->evfd >= 0) close(p->evfd);
    free(p->rbuf);
    free(p);
    THROW(env, why);
  }
  if (napi_add_env_cleanup_hook(env, env_cleanup, p) != napi_ok) {
    stop_pump(p);
    THROW(env, "pump: cannot register its cleanup");
  }
  return ext;
}

// Make a duplicated descriptor non-blocking (the flag lives in the file description the caller shares, which
// libuv has made non-blocking already: then nothing is changed). -1 on failure.
static int set_nonblock(int fd) {
  int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
  if (fl < 0) return -1;
  return (fl & O_NONBLOCK) || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 ? 0 : -1;
}

static int get_bytes(napi_env env, napi_value v, char **out, size_t *len) {
  napi_valuetype t;
  *out = NULL;
  *len = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, v, &data, &n) != napi_ok) return -1;
  if (n == 0) return 0;
  *out = malloc(n);
  if (!*out) return -1;
  memcpy(*out, data, n);
  *len = n;
  return 0;
}

static napi_value js_add(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) THROW(env, "add(h, id, fdA, fdB, pre, frozen, group, idleMs)");
  pump_t *p = get_pump(env, argv[0]);
  if (!p || p->destroyed) THROW(env, "pump is not running");
  uint32_t id = 0, group = 0, idle_ms = 0;
  int32_t fa = -1, fb = -1;
  bool frozen = false;
  NAPI(env, napi_get_value_uint32(env, argv[1], &id));
  NAPI(env, napi_get_value_int32(env, argv[2], &fa));
  NAPI(env, napi_get_value_int32(env, argv[3], &fb));
  NAPI(env, napi_get_value_bool(env, argv[5], &frozen));
  NAPI(env, napi_get_value_uint32(env, argv[6], &group));
  NAPI(env, napi_get_value_uint32(env, argv[7], &idle_ms));
  if (id == 0) THROW(env, "add: id 0 is reserved");
  if (group >= NGROUPS) THROW(env, "add: group must be below 256");
  if (fa < 0 || fb < 0) THROW(env, "add: bad descriptors");
  cmd_t *c = calloc(1, sizeof(cmd_t));
  if (!c) THROW(env, "out of memory");
  c->kind = CMD_ADD;
  c->id = id;
  c->group = group;
  c->idle_ms = idle_ms;
  c->arg = frozen ? 1 : 0;
  if (get_bytes(env, argv[4], &c->data, &c->len) < 0) {
    free(c);
    THROW(env, "add: pre must be a Buffer or null");
  }
  c->fda = fcntl(fa, F_DUPFD_CLOEXEC, 0);
  c->fdb = fcntl(fb, F_DUPFD_CLOEXEC, 0);
  int ready = set_nonblock(c->fda) == 0 && set_nonblock(c->fdb) == 0;
  if (!ready || push(p, c) < 0) {
    int exited = ready;
    if (c->fda >= 0) close(c->fda);
    if (c->fdb >= 0) close(c->fdb);
    free(c->data);
    free(c);
    THROW(env, exited ? "pump is not running (its thread has exited)" : "add: cannot duplicate the descriptors");
  }
  return NULL;
}

// A numeric IPv4 or IPv6 address (no names: the caller resolves or keeps its own dial) and a port.
static int get_addr(napi_env env, napi_value v, uint32_t port, struct sockaddr_storage *out, socklen_t *len) {
  char host[64];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, host, sizeof host, &n) != napi_ok || n == 0 || n >= sizeof host - 1)
    return -1;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *a4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 0;
  }
  return -1;
}

static napi_value js_dial(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 11) THROW(env, "dial(h, id, fdA, host, port, srcHost, frozen, group, idleMs, timeoutMs, keepAliveMs)");
  pump_t *p = get_pump(env, argv[0]);
  if (!p || p->destroyed) THROW(env, "pump is not running");
  uint32_t id = 0, port = 0, group = 0, idle_ms = 0, timeout_ms = 0, keepalive_ms = 0;
  int32_t fa = -1;
  bool frozen = false;
  napi_valuetype st;
  NAPI(env, napi_get_value_uint32(env, argv[1], &id));
  NAPI(env, napi_get_value_int32(env, argv[2], &fa));
  NAPI(env, napi_get_value_uint32(env, argv[4], &port));
  NAPI(env, napi_typeof(env, argv[5], &st));
  NAPI(env, napi_get_value_bool(env, argv[6], &frozen));
  NAPI(env, napi_get_value_uint32(env, argv[7], &group));
  NAPI(env, napi_get_value_uint32(env, argv[8], &idle_ms));
  NAPI(env, napi_get_value_uint32(env, argv[9], &timeout_ms));
  NAPI(env, napi_get_value_uint32(env, argv[10], &keepalive_ms));
  if (id == 0) THROW(env, "dial: id 0 is reserved");
  if (group >= NGROUPS) THROW(env, "dial: group must be below 256");
  if (fa < 0) THROW(env, "dial: bad descriptor");
  if (port == 0 || port > 65535) THROW(env, "dial: bad port");
  cmd_t *c = calloc(1, sizeof(cmd_t));
  if (!c) THROW(env, "out of memory");
  c->kind = CMD_DIAL;
  c->id = id;
  c->group = group;
  c->idle_ms = idle_ms;
  c->arg = frozen ? 1 : 0;
  c->timeout_ms = timeout_ms;
  // Node's setKeepAlive(true, ms): idle ms/1000 s (at least 1), then probes every 1 s, 10 of them (libuv).
  c->keepalive_s = keepalive_ms == 0 ? 0 : keepalive_ms < 1000 ? 1 : (int)(keepalive_ms / 1000);
  c->fdb = -1;
  if (get_addr(env, argv[3], port, &c->dst, &c->dstlen) < 0 ||
      (st != napi_null && st != napi_undefined && get_addr(env, argv[5], 0, &c->src, &c->srclen) < 0) ||
      (c->srclen && c->src.ss_family != c->dst.ss_family)) {
    free(c);
    THROW(env, "dial: host and srcHost must be numeric addresses of one family");
  }
  c->fda = fcntl(fa, F_DUPFD_CLOEXEC, 0);
  int ready = set_nonblock(c->fda) == 0;
  if (!ready || push(p, c) < 0) {
    int exited = ready;
    if (c->fda >= 0) close(c->fda);
    free(c);
    THROW(env, exited ? "pump is not running (its thread has exited)" : "dial: cannot duplicate the descriptor");
  }
  return NULL;
}

// freeze(h, id, on) and close(h, id, mode, msg): a command for one session, queued for its thread.
static cmd_t *session_cmd(napi_env env, napi_value *argv, size_t argc, int kind, pump_t **out) {
  pump_t *p = argc >= 3 ? get_pump(env, argv[0]) : NULL;
  if (!p || p->destroyed) {
    napi_throw_error(env, NULL, "pump is not running");
    return NULL;
  }
  cmd_t *c = calloc(1, sizeof(cmd_t));
  if (!c) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  c->kind = kind;
  if (napi_get_value_uint32(env, argv[1], &c->id) != napi_ok) {
    free(c);
    napi_throw_error(env, NULL, "pump: the session id must be a number");
    return NULL;
  }
  *out = p;
  return c;
}

// A command the exited thread cannot take is dropped: every session of that thread has ended already.
static void push_or_drop(pump_t *p, cmd_t *c) {
  if (push(p, c) < 0) {
    free(c->data);
    free(c);
  }
}

static napi_value js_freeze(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool on = false;
  if (argc >= 3) NAPI(env, napi_get_value_bool(env, argv[2], &on));
  pump_t *p;
  cmd_t *c = session_cmd(env, argv, argc, CMD_FREEZE, &p);
  if (!c) return NULL;
  c->arg = on ? 1 : 0;
  push_or_drop(p, c);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t mode = 0;
  if (argc >= 3) NAPI(env, napi_get_value_int32(env, argv[2], &mode));
  pump_t *p;
  cmd_t *c = session_cmd(env, argv, argc, CMD_CLOSE, &p);
  if (!c) return NULL;
  c->arg = mode;
  if (argc >= 4 && get_bytes(env, argv[3], &c->data, &c->len) < 0) {
    free(c);
    THROW(env, "close: msg must be a Buffer or null");
  }
  push_or_drop(p, c);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], arr, v;
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pump_t *p = argc >= 2 ? get_pump(env, argv[0]) : NULL;
  if (!p) THROW(env, "stats(h, group)");
  uint32_t g = 0;
  NAPI(env, napi_get_value_uint32(env, argv[1], &g));
  if (g >= NGROUPS) THROW(env, "stats: group must be below 256");
  NAPI(env, napi_create_array_with_length(env, 3, &arr));
  double vals[3] = {(double)__atomic_load_n(&p->bytes[g][0], __ATOMIC_RELAXED),
                    (double)__atomic_load_n(&p->bytes[g][1], __ATOMIC_RELAXED),
                    (double)__atomic_load_n(&p->live[g], __ATOMIC_RELAXED)};
  for (uint32_t k = 0; k < 3; k++) {
    NAPI(env, napi_create_double(env, vals[k], &v));
    NAPI(env, napi_set_element(env, arr, k, v));
  }
  return arr;
}

static napi_value js_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pump_t *p = argc >= 1 ? get_pump(env, argv[0]) : NULL;
  if (!p) THROW(env, "not a pump");
  if (!p->destroyed) NAPI(env, napi_remove_env_cleanup_hook(env, env_cleanup, p));
  stop_pump(p);
  return NULL;
}

// Test hook: the thread leaves its loop as it would on an epoll_wait error.
static napi_value js_fail(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pump_t *p = argc >= 1 ? get_pump(env, argv[0]) : NULL;
  if (!p || p->destroyed) THROW(env, "pump is not running");
  cmd_t *c = calloc(1, sizeof(cmd_t));
  if (!c) THROW(env, "out of memory");
  c->kind = CMD_FAIL;
  push_or_drop(p, c);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"add", NULL, js_add, NULL, NULL, NULL, napi_default, NULL},
      {"dial", NULL, js_dial, NULL, NULL, NULL, napi_default, NULL},
      {"freeze", NULL, js_freeze, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, js_destroy, NULL, NULL, NULL, napi_default, NULL},
      {"failForTest", NULL, js_fail, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
