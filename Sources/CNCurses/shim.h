#ifndef TB_CNCURSES_SHIM_H
#define TB_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

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
#endif
