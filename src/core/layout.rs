//! Where prompts go in a frame (pure; the DOM layer measures and applies). Rules, in order:
//! - the card (the one expanded prompt) never covers a row that shows a secret (its value
//!   cell and the portal's copy button are there): just below the lowest such row if it fits,
//!   else just above the highest; if neither fits, in the larger free space, scrolling inside
//!   (never shorter than [`MIN_CARD`]); only a frame too small for that gets it at its bottom;
//! - reminders ("pills") of the other prompts sit in a column left of the card, from its top;
//!   without a card, they stack upwards from the bottom of the free space below the rows
//!   (else above them). Nothing of ours overlaps anything of ours.

/// Gap between a row and a prompt, and between two prompts, in CSS pixels.
pub const GAP: f64 = 8.0;
/// Distance from the frame's edges.
pub const EDGE: f64 = 16.0;
/// The card is never squeezed below this height to avoid the rows (it scrolls inside).
pub const MIN_CARD: f64 = 120.0;

/// A vertical extent in the frame's viewport (CSS pixels, as `getBoundingClientRect` gives).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Top edge.
    pub top: f64,
    /// Bottom edge.
    pub bottom: f64,
}

/// A size in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Size {
    /// Height (the card's full content height, not a height it was squeezed to).
    pub height: f64,
    /// Width.
    pub width: f64,
}

/// Where one prompt goes: fixed to the viewport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    /// Distance of its top edge from the viewport's top.
    pub top: f64,
    /// Distance of its right edge from the viewport's right.
    pub right: f64,
    /// Height it must not exceed (it scrolls inside), when it has to be squeezed.
    pub max_height: Option<f64>,
}

fn ok(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Lays out the card (if one is expanded) and the reminders, for the rows of every secret the
/// frame shows (rows no longer on the page are left out by the caller) in a viewport of
/// `view` (height, width).
pub fn layout(rows: &[Span], view: Size, card: Option<Size>, pills: &[Size]) -> (Option<Place>, Vec<Place>) {
    let (vh, vw) = (ok(view.height), ok(view.width));
    let valid = |s: &&Span| s.top.is_finite() && s.bottom.is_finite() && s.bottom >= s.top;
    let mut it = rows.iter().filter(valid);
    let anchored = rows.iter().any(|r| valid(&r));
    // The free space above and below the secret rows: [start, end) from the viewport's top.
    let (above, below) = match it.next() {
        Some(first) => {
            let (t, b) = it.fold((first.top, first.bottom), |(t, b), s| (t.min(s.top), b.max(s.bottom)));
            ((EDGE, t - GAP), (b + GAP, vh - EDGE))
        }
        None => ((EDGE, EDGE), (EDGE, vh - EDGE)),
    };
    let len = |r: (f64, f64)| r.1 - r.0;

    let card_place = card.map(|c| {
        let h = ok(c.height);
        let (top, max_height) = if !anchored && h <= len(below) {
            // No row to stay next to: the frame's bottom corner.
            (below.1 - h, None)
        } else if h <= len(below) {
            (below.0, None)
        } else if h <= len(above) {
            (above.1 - h, None)
        } else if len(below).max(len(above)) >= MIN_CARD {
            let r = if len(below) >= len(above) { below } else { above };
            (r.0, Some(len(r)))
        } else {
            // A frame too small to avoid the rows: its bottom, as much of the card as fits.
            let room = (vh - 2.0 * EDGE).max(0.0);
            ((vh - EDGE - h).max(EDGE), (h > room).then_some(room))
        };
        Place { top, right: EDGE, max_height }
    });

    let mut out = Vec::with_capacity(pills.len());
    let widest = pills.iter().map(|p| ok(p.width)).fold(0.0, f64::max);
    // Upwards from the end of the free space `r`.
    let stack = |out: &mut Vec<Place>, r: (f64, f64)| {
        let need: f64 = pills.iter().map(|p| ok(p.height) + GAP).sum::<f64>() - GAP;
        let mut bottom = r.1.max(r.0 + need.max(0.0));
        for p in pills {
            let h = ok(p.height);
            out.push(Place { top: bottom - h, right: EDGE, max_height: None });
            bottom -= h + GAP;
        }
    };
    match (card, card_place) {
        (Some(c), Some(cp)) if EDGE + ok(c.width) + GAP + widest <= vw - EDGE => {
            // A column left of the card, from its top.
            let right = EDGE + ok(c.width) + GAP;
            let mut top = cp.top;
            for p in pills {
                out.push(Place { top, right, max_height: None });
                top += ok(p.height) + GAP;
            }
        }
        (Some(_), Some(cp)) => {
            // A frame too narrow for the column: the free space the card is not in.
            stack(&mut out, if cp.top >= below.0 { above } else { below });
        }
        _ => {
            // Upwards from the bottom of the free space below the rows, else above them.
            let need: f64 = pills.iter().map(|p| ok(p.height) + GAP).sum::<f64>() - GAP;
            stack(&mut out, if need <= len(below) || len(below) >= len(above) { below } else { above });
        }
    }
    (card_place, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (top, bottom, left, right) of a placed box in a viewport `vw` wide.
    fn rect(p: Place, s: Size, vw: f64) -> [f64; 4] {
        let h = p.max_height.map_or(s.height, |m| m.min(s.height));
        [p.top, p.top + h, vw - p.right - s.width, vw - p.right]
    }

    fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
        a[0] < b[1] && b[0] < a[1] && a[2] < b[3] && b[2] < a[3]
    }

    const CARD: Size = Size { height: 262.0, width: 380.0 };
    const PILL: Size = Size { height: 30.0, width: 180.0 };

    fn view(h: f64) -> Size {
        Size { height: h, width: 900.0 }
    }

    fn row(top: f64) -> Span {
        Span { top, bottom: top + 42.0 }
    }

    #[test]
    fn below_the_lowest_secret_row_when_it_fits() {
        let rows = [row(100.0), row(142.0)];
        let (c, _) = layout(&rows, view(800.0), Some(CARD), &[]);
        assert_eq!(c, Some(Place { top: 192.0, right: EDGE, max_height: None }));
        let (c2, _) = layout(&[rows[1], rows[0]], view(800.0), Some(CARD), &[]);
        assert_eq!(c, c2, "order does not matter");
    }

    #[test]
    fn above_the_highest_when_there_is_no_room_below() {
        let rows = [row(500.0), row(542.0)];
        let (c, _) = layout(&rows, view(700.0), Some(CARD), &[]);
        assert_eq!(c, Some(Place { top: 500.0 - GAP - 262.0, right: EDGE, max_height: None }));
    }

    #[test]
    fn squeezed_into_the_larger_space_when_it_fits_nowhere() {
        // The Firefox blade frame of the e2e: 551 px high, two rows at 256..340.
        let rows = [Span { top: 256.0, bottom: 298.0 }, Span { top: 298.0, bottom: 340.0 }];
        let (c, _) = layout(&rows, view(551.0), Some(CARD), &[]);
        let c = c.unwrap();
        assert_eq!((c.top, c.max_height), (EDGE, Some(256.0 - GAP - EDGE)), "{c:?}");
        let r = rect(c, CARD, 900.0);
        assert!(r[1] <= 256.0 - GAP, "{r:?}");
    }

    #[test]
    fn bottom_of_a_frame_too_small_for_anything_else() {
        let (c, _) = layout(&[Span { top: 60.0, bottom: 100.0 }], view(200.0), Some(CARD), &[]);
        assert_eq!(c, Some(Place { top: EDGE, right: EDGE, max_height: Some(200.0 - 2.0 * EDGE) }));
        let (c, _) = layout(&[], view(800.0), Some(CARD), &[]);
        assert_eq!(c, Some(Place { top: 800.0 - EDGE - 262.0, right: EDGE, max_height: None }), "no row: bottom");
        let bad = [Span { top: f64::NAN, bottom: 10.0 }];
        assert_eq!(layout(&bad, view(800.0), Some(CARD), &[]).0, layout(&[], view(800.0), Some(CARD), &[]).0, "a row without a box is ignored");
    }

    #[test]
    fn nothing_of_ours_covers_a_secret_row_or_anything_of_ours() {
        for vh in [300.0, 420.0, 551.0, 800.0] {
            for first in (0..(vh as i32 - 84)).step_by(29) {
                for n in 1..=3usize {
                    let rows: Vec<Span> = (0..n.min(2)).map(|i| row(first as f64 + 42.0 * i as f64)).collect();
                    for with_card in [true, false] {
                        let pills = vec![PILL; if with_card { n - 1 } else { n }];
                        let (c, ps) = layout(&rows, view(vh), with_card.then_some(CARD), &pills);
                        let mut boxes: Vec<[f64; 4]> = ps.iter().map(|p| rect(*p, PILL, 900.0)).collect();
                        if let Some(c) = c {
                            boxes.push(rect(c, CARD, 900.0));
                        }
                        for (i, a) in boxes.iter().enumerate() {
                            for b in &boxes[i + 1..] {
                                assert!(!overlaps(*a, *b), "ours overlap: vh {vh} rows {rows:?} {boxes:?}");
                            }
                        }
                        // Where there is room for the card (MIN_CARD) beside the rows, nothing covers them.
                        let free = (rows[0].top - GAP - EDGE).max(vh - EDGE - rows[rows.len() - 1].bottom - GAP);
                        if free >= MIN_CARD {
                            for b in &boxes {
                                for r in &rows {
                                    assert!(!overlaps(*b, [r.top, r.bottom, 0.0, 900.0]), "covers a row: vh {vh} {rows:?} {boxes:?}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn reminders_beside_the_card_or_stacked_from_the_bottom() {
        let rows = [row(100.0)];
        let (c, ps) = layout(&rows, view(800.0), Some(CARD), &[PILL, PILL]);
        let c = c.unwrap();
        assert_eq!(ps[0], Place { top: c.top, right: EDGE + 380.0 + GAP, max_height: None });
        assert_eq!(ps[1].top, c.top + 30.0 + GAP);
        // Too narrow for a column beside the card: in the free space the card is not in.
        let narrow = Size { height: 800.0, width: 500.0 };
        let (c, ps) = layout(&[row(400.0)], narrow, Some(CARD), &[PILL]);
        let (c, p) = (rect(c.unwrap(), CARD, 500.0), rect(ps[0], PILL, 500.0));
        assert!(!overlaps(c, p) && !overlaps(p, [400.0, 442.0, 0.0, 500.0]), "{c:?} {p:?}");
        let (none, ps) = layout(&rows, view(800.0), None, &[PILL, PILL]);
        assert!(none.is_none());
        assert_eq!(ps[0].top, 800.0 - EDGE - 30.0);
        assert_eq!(ps[1].top, 800.0 - EDGE - 30.0 - GAP - 30.0);
        assert!(ps.iter().all(|p| p.right == EDGE));
    }
}
