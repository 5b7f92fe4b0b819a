// libsystemd for Swift: sd-daemon and sd-journal, plus non-variadic wrappers for the calls Swift
// cannot make (sd_journal_send and sd_notifyf are variadic).
#ifndef MPRELAY_CSYSTEMD_SHIM_H
#define MPRELAY_CSYSTEMD_SHIM_H

// Without this, sd-journal.h turns sd_journal_send* into macros that add CODE_FILE=, CODE_LINE=
// and CODE_FUNC= naming this header; mprelay passes the Swift caller's location instead.
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// The SYSLOG_IDENTIFIER= of every entry mprelay writes, so `journalctl -t mprelayd` finds them.
#define MPRELAY_SYSLOG_IDENTIFIER "mprelayd"

/// The most fields one mprelay journal entry carries.
#define MPRELAY_JOURNAL_MAX_FIELDS 9

/// Appends `NAME=value` to `fields`; a NULL or empty `value` is left out unless `keep_empty`.
/// Returns 0 or -ENOMEM.
static inline int mprelay_journal_field(struct iovec *fields, int *count, const char *name, const char *value, int keep_empty) {
    if ((value == NULL || value[0] == '\0') && !keep_empty) {
        return 0;
    }
    size_t name_length = strlen(name);
    size_t value_length = value == NULL ? 0 : strlen(value);
    char *text = malloc(name_length + 1 + value_length);
    if (text == NULL) {
        return -ENOMEM;
    }
    memcpy(text, name, name_length);
    text[name_length] = '=';
    if (value_length > 0) {
        memcpy(text + name_length + 1, value, value_length);
    }
    fields[*count].iov_base = text;
    fields[*count].iov_len = name_length + 1 + value_length;
    *count += 1;
    return 0;
}

/// Writes one structured entry to the journal: MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER=mprelayd,
/// and MPRELAY_CONNECTION=, MPRELAY_PEER=, MPRELAY_PRINCIPAL=, CODE_FILE=, CODE_LINE=, CODE_FUNC=
/// for those given (NULL or empty ones are left out; `code_line` <= 0 is left out).
///
/// Values may contain newlines: the entry goes over the journal's native protocol as iovecs.
/// Returns 0 on success or a negative errno, as sd_journal_sendv(3) does.
static inline int mprelay_journal_send(
    const char *message,
    int priority,
    const char *connection,
    const char *peer,
    const char *principal,
    const char *code_file,
    int code_line,
    const char *code_func
) {
    struct iovec fields[MPRELAY_JOURNAL_MAX_FIELDS];
    int count = 0;
    char priority_text[4];
    char line_text[16];
    int result = 0;
    if (priority < 0 || priority > 7) {
        return -EINVAL;
    }
    snprintf(priority_text, sizeof(priority_text), "%d", priority);
    line_text[0] = '\0';
    if (code_line > 0) {
        snprintf(line_text, sizeof(line_text), "%d", code_line);
    }
    // MESSAGE= is sent even when empty, so that every entry has one.
    if ((result = mprelay_journal_field(fields, &count, "MESSAGE", message, 1)) < 0
        || (result = mprelay_journal_field(fields, &count, "PRIORITY", priority_text, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "SYSLOG_IDENTIFIER", MPRELAY_SYSLOG_IDENTIFIER, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "MPRELAY_CONNECTION", connection, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "MPRELAY_PEER", peer, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "MPRELAY_PRINCIPAL", principal, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "CODE_FILE", code_file, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "CODE_LINE", line_text, 0)) < 0
        || (result = mprelay_journal_field(fields, &count, "CODE_FUNC", code_func, 0)) < 0) {
        goto done;
    }
    result = sd_journal_sendv(fields, count);
done:
    for (int index = 0; index < count; index++) {
        free(fields[index].iov_base);
    }
    return result;
}

/// The CLOCK_MONOTONIC time in microseconds, for the MONOTONIC_USEC= that must accompany
/// RELOADING=1 (sd_notify(3)). Returns 0 if the clock cannot be read.
static inline unsigned long long mprelay_monotonic_usec(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0;
    }
    return (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000ULL;
}

#endif
