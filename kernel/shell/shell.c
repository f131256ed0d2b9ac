/* Shell main loop: line editor (insert, backspace, delete, left/right, home/end, history on
 * up/down), word splitting with quotes, dispatch, one-line errors. */
#include <string.h>
#include "shell/shell.h"
#include "console/console.h"
#include "arch/cpu.h"
#include "err.h"

#define LINE_MAX 256
#define HISTORY 16
#define PROMPT "bb> "

static char history[HISTORY][LINE_MAX];
static unsigned hist_count;     /* lines ever added; slot = index % HISTORY */

struct editor {
    char buf[LINE_MAX];
    unsigned len, pos;
};

static int next_key(void)
{
    for (;;) {
        int k = console_poll_key();
        if (k >= 0)
            return k;
        cpu_idle();
    }
}

/* Redraw from the cursor to the end of the line, erase one stale cell, put the cursor back. */
static void redraw_tail(const struct editor *e, unsigned erase)
{
    console_write(e->buf + e->pos, e->len - e->pos);
    for (unsigned i = 0; i < erase; i++)
        console_write(" ", 1);
    for (unsigned i = 0; i < e->len - e->pos + erase; i++)
        console_write("\b", 1);
}

static void replace_line(struct editor *e, const char *text)
{
    while (e->pos > 0) {
        console_write("\b", 1);
        e->pos--;
    }
    unsigned old = e->len;
    e->len = (unsigned)strnlen(text, LINE_MAX - 1);
    memcpy(e->buf, text, e->len);
    redraw_tail(e, old > e->len ? old - e->len : 0);
    console_write(e->buf, e->len);
    e->pos = e->len;
}

static void read_line(struct editor *e)
{
    unsigned hist_pos = hist_count;
    e->len = e->pos = 0;
    for (;;) {
        int k = next_key();
        switch (k) {
        case '\n':
            console_write("\n", 1);
            e->buf[e->len] = 0;
            return;
        case '\b':
            if (e->pos == 0)
                break;
            memmove(e->buf + e->pos - 1, e->buf + e->pos, e->len - e->pos);
            e->pos--;
            e->len--;
            console_write("\b", 1);
            redraw_tail(e, 1);
            break;
        case KEY_DELETE:
            if (e->pos == e->len)
                break;
            memmove(e->buf + e->pos, e->buf + e->pos + 1, e->len - e->pos - 1);
            e->len--;
            redraw_tail(e, 1);
            break;
        case KEY_LEFT:
            if (e->pos > 0) {
                e->pos--;
                console_write("\b", 1);
            }
            break;
        case KEY_RIGHT:
            if (e->pos < e->len)
                console_write(e->buf + e->pos++, 1);
            break;
        case KEY_HOME:
            while (e->pos > 0) {
                e->pos--;
                console_write("\b", 1);
            }
            break;
        case KEY_END:
            console_write(e->buf + e->pos, e->len - e->pos);
            e->pos = e->len;
            break;
        case KEY_UP:
            if (hist_pos > 0 && hist_count - (hist_pos - 1) <= HISTORY) {
                hist_pos--;
                replace_line(e, history[hist_pos % HISTORY]);
            }
            break;
        case KEY_DOWN:
            if (hist_pos < hist_count) {
                hist_pos++;
                replace_line(e, hist_pos == hist_count ? "" : history[hist_pos % HISTORY]);
            }
            break;
        default:
            if (k < 0x20 || k > 0x7E || e->len + 1 >= LINE_MAX)
                break;
            memmove(e->buf + e->pos + 1, e->buf + e->pos, e->len - e->pos);
            e->buf[e->pos] = (char)k;
            e->len++;
            console_write(e->buf + e->pos, 1);
            e->pos++;
            redraw_tail(e, 0);
            break;
        }
    }
}

int shell_split(char *line, char **argv, int max)
{
    int argc = 0;
    char *r = line, *w = line;
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        if (!*r)
            return argc;
        if (argc == max)
            return ERR_TOO_BIG;
        argv[argc++] = w;
        int quoted = 0;
        while (*r && (quoted || (*r != ' ' && *r != '\t'))) {
            if (*r == '"')
                quoted = !quoted;
            else
                *w++ = *r;
            r++;
        }
        if (quoted)
            return ERR_INVALID_ARGS;
        if (*r)
            r++;
        *w++ = 0;
    }
}

static const struct shell_cmd *registered[SHELL_MAX_REGISTERED];
static unsigned nregistered;

const struct shell_cmd *shell_find(const char *name)
{
    for (const struct shell_cmd *c = shell_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    for (unsigned i = 0; i < nregistered; i++)
        if (strcmp(registered[i]->name, name) == 0)
            return registered[i];
    return NULL;
}

int shell_register(const struct shell_cmd *cmd)
{
    if (shell_find(cmd->name))
        return ERR_EXISTS;
    if (nregistered == SHELL_MAX_REGISTERED)
        return ERR_NO_SPACE;
    registered[nregistered++] = cmd;
    return 0;
}

const struct shell_cmd *shell_registered_at(unsigned i)
{
    return i < nregistered ? registered[i] : NULL;
}

static void execute(char *line)
{
    char *argv[SHELL_MAX_ARGS];
    int argc = shell_split(line, argv, SHELL_MAX_ARGS);
    if (argc == ERR_TOO_BIG) {
        kprintf("error: too many arguments (at most %d)\n", SHELL_MAX_ARGS - 1);
        return;
    }
    if (argc < 0) {
        kprintf("error: unterminated quote\n");
        return;
    }
    if (argc == 0)
        return;
    const struct shell_cmd *c = shell_find(argv[0]);
    if (!c) {
        kprintf("error: unknown command '%s' (type 'help')\n", argv[0]);
        return;
    }
    int rc = c->fn(argc, argv);
    if (rc == ERR_INVALID_ARGS)
        kprintf("usage: %s %s\n", c->name, c->usage);
    else if (rc < 0)
        kprintf("%s: %s\n", argv[0], err_str(rc));
}

void shell_run(void)
{
    struct editor e;
    for (;;) {
        console_puts(PROMPT);
        read_line(&e);
        if (e.len == 0)
            continue;
        if (hist_count == 0 || strcmp(history[(hist_count - 1) % HISTORY], e.buf) != 0) {
            memcpy(history[hist_count % HISTORY], e.buf, e.len + 1);
            hist_count++;
        }
        execute(e.buf);
    }
}
