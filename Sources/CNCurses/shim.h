#ifndef TB_CNCURSES_SHIM_H
#define TB_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

/* Swift cannot see macros with arguments or some globals; these accessors give them a function form. */
static inline WINDOW *tb_stdscr(void) { return stdscr; }
static inline int tb_lines(void) { return LINES; }
static inline int tb_cols(void) { return COLS; }
static inline int tb_colors(void) { return COLORS; }
static inline int tb_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t tb_a_bold(void) { return A_BOLD; }
static inline attr_t tb_a_dim(void) { return A_DIM; }
static inline attr_t tb_a_underline(void) { return A_UNDERLINE; }
static inline attr_t tb_a_reverse(void) { return A_REVERSE; }
static inline attr_t tb_a_italic(void) { return A_ITALIC; }
static inline attr_t tb_a_normal(void) { return A_NORMAL; }
static inline int tb_key_resize(void) { return KEY_RESIZE; }
static inline int tb_err(void) { return ERR; }

/* Standard streams (Swift 6 rejects the mutable C globals `stdout`/`stdin`). */
static inline FILE *tb_stdout(void) { return stdout; }
static inline FILE *tb_stdin(void) { return stdin; }

/* Status values and key codes (some are macros with arguments or octal literals). */
static inline int tb_ok(void) { return OK; }
static inline int tb_key_code_yes(void) { return KEY_CODE_YES; }
static inline int tb_key_up(void) { return KEY_UP; }
static inline int tb_key_down(void) { return KEY_DOWN; }
static inline int tb_key_left(void) { return KEY_LEFT; }
static inline int tb_key_right(void) { return KEY_RIGHT; }
static inline int tb_key_home(void) { return KEY_HOME; }
static inline int tb_key_end(void) { return KEY_END; }
static inline int tb_key_ppage(void) { return KEY_PPAGE; }
static inline int tb_key_npage(void) { return KEY_NPAGE; }
static inline int tb_key_dc(void) { return KEY_DC; }
static inline int tb_key_ic(void) { return KEY_IC; }
static inline int tb_key_btab(void) { return KEY_BTAB; }
static inline int tb_key_enter(void) { return KEY_ENTER; }
static inline int tb_key_backspace(void) { return KEY_BACKSPACE; }
static inline int tb_key_f0(void) { return KEY_F0; }
static inline int tb_key_f(int n) { return KEY_F(n); }
static inline int tb_ccharw_max(void) { return CCHARW_MAX; }
/* Display width of a wide character in the current locale (-1 for non-printable). */
static inline int tb_wcwidth(wchar_t c) { return wcwidth(c); }

/* Window geometry (getmaxy/getmaxx are macros in some configurations). */
static inline int tb_getmaxy(WINDOW *w) { return w ? getmaxy(w) : 0; }
static inline int tb_getmaxx(WINDOW *w) { return w ? getmaxx(w) : 0; }

/* tigetstr returns (char *)-1 for "not a string capability"; normalise that to NULL. */
static inline const char *tb_tigetstr(const char *cap) {
    char *s = tigetstr(cap);
    return (s == (char *)-1) ? (const char *)0 : s;
}

/* Whether the terminfo entry of `term` can drive a full-screen program, checked without touching the screen and
   without ncurses' exit-on-error paths: setupterm with an error pointer, then the cursor-addressing capability
   (`cup`), then the entry is freed and ncurses' current terminal put back. Returns
     0  usable (the entry exists, is not a hardcopy terminal and has cup),
     1  no terminfo entry for `term`,
     2  no terminfo database at all,
     3  a hardcopy terminal (the `hc` flag),
     4  no cursor addressing (no `cup`: "dumb", "unknown", emacs' "dumb" shell buffers, ...).
   `fd` is the output file descriptor (setupterm reads the window size from it). Not thread-safe (ncurses' global
   `cur_term`); call it from the thread that drives ncurses. */
static inline int tb_check_terminfo(const char *term, int fd) {
    int err = 0;
    TERMINAL *saved = cur_term;
    int rc = setupterm(term, fd, &err);
    if (rc != OK) {
        /* setupterm set no new terminal on failure; keep the previous one current. */
        if (cur_term != saved) { TERMINAL *t = cur_term; set_curterm(saved); if (t) del_curterm(t); }
        if (err == 1) return 3;
        if (err == -1) return 2;
        return 1;
    }
    TERMINAL *mine = cur_term;
    const char *cup = tigetstr("cup");
    int hardcopy = tigetflag("hc") > 0;
    int result = hardcopy ? 3 : (cup == 0 || cup == (char *)-1) ? 4 : 0;
    set_curterm(saved);
    if (mine && mine != saved) del_curterm(mine);
    return result;
}
#endif
