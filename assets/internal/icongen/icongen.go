// Package icongen draws MiniMost's brand mark (client.md §1.3: a rounded
// speech-bubble outline in #007acc on #1e1e1e with a tail at the bottom
// left, holding "MM", the first M white and the second blue) from one
// geometry, as the SVG favicons and as the PNG app icons of the manifest.
//
// The files it writes are committed under assets/static/icons; its test
// checks they are up to date, and `go generate ./assets` (or
// `go test ./assets/internal/icongen -update`) rewrites them.
package icongen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// The mark lives in a 32×32 box.
const box = 32.0

var (
	background = color.NRGBA{0x1e, 0x1e, 0x1e, 0xff}
	blue       = color.NRGBA{0x00, 0x7a, 0xcc, 0xff}
	white      = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

type pt struct{ x, y float64 }

// stroke is a polyline drawn with round caps and joins.
type stroke struct {
	points []pt
	closed bool
	width  float64
	color  color.NRGBA
}

// Bubble geometry: a rounded rectangle with a tail at the bottom left.
const (
	bx0, by0, bx1, by1 = 4.0, 5.0, 28.0, 22.0
	radius             = 5.0
)

var (
	tailTip  = pt{7, 27}
	tailBase = pt{12, by1}
)

// tailAngle is where the bottom-left corner stops and the tail leaves it.
const tailAngle = math.Pi * 0.6

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// bubblePath is the SVG path of the bubble outline.
func bubblePath() string {
	ex := round3(bx0 + radius + radius*math.Cos(tailAngle))
	ey := round3(by1 - radius + radius*math.Sin(tailAngle))
	return fmt.Sprintf("M%g %gH%gA%g %g 0 0 0 %g %gV%gA%g %g 0 0 0 %g %gH%gA%g %g 0 0 0 %g %gV%gA%g %g 0 0 0 %g %gL%g %gZ",
		tailBase.x, by1, bx1-radius, radius, radius, bx1, by1-radius,
		by0+radius, radius, radius, bx1-radius, by0,
		bx0+radius, radius, radius, bx0, by0+radius,
		by1-radius, radius, radius, ex, ey,
		tailTip.x, tailTip.y)
}

// arc samples a quarter circle from angle a0 to a1 (radians) around c.
func arc(c pt, a0, a1 float64) []pt {
	const n = 16
	out := make([]pt, 0, n+1)
	for i := 0; i <= n; i++ {
		a := a0 + (a1-a0)*float64(i)/n
		out = append(out, pt{c.x + radius*math.Cos(a), c.y + radius*math.Sin(a)})
	}
	return out
}

// bubblePolyline follows bubblePath with the arcs sampled.
func bubblePolyline() []pt {
	var p []pt
	p = append(p, tailBase)
	p = append(p, arc(pt{bx1 - radius, by1 - radius}, math.Pi/2, 0)...)
	p = append(p, arc(pt{bx1 - radius, by0 + radius}, 0, -math.Pi/2)...)
	p = append(p, arc(pt{bx0 + radius, by0 + radius}, -math.Pi/2, -math.Pi)...)
	// The bottom-left corner stops short, where the tail leaves it.
	p = append(p, arc(pt{bx0 + radius, by1 - radius}, math.Pi, tailAngle)...)
	p = append(p, tailTip)
	return p
}

// letterM is an M between x0 and x1, from the baseline y1 up to y0.
func letterM(x0, x1, y0, y1 float64) []pt {
	return []pt{{x0, y1}, {x0, y0}, {(x0 + x1) / 2, y0 + (y1-y0)*0.55}, {x1, y0}, {x1, y1}}
}

// Variant is one size of the mark.
type Variant struct {
	// Stroke is the line width in box units; small icons need heavier lines.
	Stroke float64
}

func (v Variant) strokes() []stroke {
	return []stroke{
		{points: bubblePolyline(), closed: true, width: v.Stroke, color: blue},
		{points: letterM(8, 14.5, 9.5, 17.5), width: v.Stroke, color: white},
		{points: letterM(17.5, 24, 9.5, 17.5), width: v.Stroke, color: blue},
	}
}

func polylineAttr(ps []pt) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%g,%g", p.x, p.y)
	}
	return b.String()
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// SVG draws the favicon: the mark on a rounded #1e1e1e square.
func SVG(v Variant) []byte {
	s := v.strokes()
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">`+"\n")
	fmt.Fprintf(&b, `<rect width="32" height="32" rx="6" fill="%s"/>`+"\n", hex(background))
	fmt.Fprintf(&b, `<g fill="none" stroke-linecap="round" stroke-linejoin="round" stroke-width="%g">`+"\n", v.Stroke)
	fmt.Fprintf(&b, `<path d="%s" stroke="%s"/>`+"\n", bubblePath(), hex(blue))
	fmt.Fprintf(&b, `<polyline points="%s" stroke="%s"/>`+"\n", polylineAttr(s[1].points), hex(white))
	fmt.Fprintf(&b, `<polyline points="%s" stroke="%s"/>`+"\n", polylineAttr(s[2].points), hex(blue))
	b.WriteString("</g>\n</svg>\n")
	return b.Bytes()
}

// segDist is the distance from p to the segment ab.
func segDist(p, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	}
	ex, ey := p.x-(a.x+t*dx), p.y-(a.y+t*dy)
	return math.Hypot(ex, ey)
}

type segment struct {
	a, b                   pt
	minX, minY, maxX, maxY float64
}

func segments(s stroke) []segment {
	ps := s.points
	if s.closed {
		ps = append(append([]pt{}, ps...), ps[0])
	}
	h := s.width / 2
	out := make([]segment, 0, len(ps))
	for i := 0; i+1 < len(ps); i++ {
		a, b := ps[i], ps[i+1]
		out = append(out, segment{a, b,
			math.Min(a.x, b.x) - h, math.Min(a.y, b.y) - h, math.Max(a.x, b.x) + h, math.Max(a.y, b.y) + h})
	}
	return out
}

// distance is the distance from p to the nearest segment whose box, grown
// by reach, holds p (+Inf if none): callers only care about distances up
// to reach, so far segments are skipped.
func distance(p pt, segs []segment, reach float64) float64 {
	best := math.Inf(1)
	for _, s := range segs {
		if p.x < s.minX-reach || p.x > s.maxX+reach || p.y < s.minY-reach || p.y > s.maxY+reach {
			continue
		}
		best = math.Min(best, segDist(p, s.a, s.b))
	}
	return best
}

// PNG draws an app icon of size×size pixels: full-bleed background (the
// platform applies its own mask) with the mark inside the central safe
// zone of a maskable icon (a circle of 40 % of the size).
func PNG(v Variant, size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = background.R, background.G, background.B, 0xff
	}
	// Box units per pixel: the mark is scaled to 72 % and centred.
	const scale = 0.72
	unit := box / (float64(size) * scale)
	offset := (box - box/scale) / 2
	const ss = 4 // supersamples per axis, where an edge crosses the pixel
	for _, s := range v.strokes() {
		segs := segments(s)
		half := s.width / 2
		// A pixel whose centre is more than this from the stroke's edge is
		// wholly inside or outside it.
		edge := unit * 0.75
		for y := 0; y < size; y++ {
			// Only the segments near this row can touch it.
			y0, y1 := offset+float64(y)*unit-half-edge, offset+float64(y+1)*unit+half+edge
			var near []segment
			for _, sg := range segs {
				if sg.maxY >= y0 && sg.minY <= y1 {
					near = append(near, sg)
				}
			}
			if len(near) == 0 {
				continue
			}
			for x := 0; x < size; x++ {
				c := pt{offset + (float64(x)+0.5)*unit, offset + (float64(y)+0.5)*unit}
				d := distance(c, near, half+edge)
				var a float64
				switch {
				case d > half+edge:
					continue
				case d < half-edge:
					a = 1
				default:
					hits := 0
					for sy := 0; sy < ss; sy++ {
						for sx := 0; sx < ss; sx++ {
							p := pt{offset + (float64(x)+(float64(sx)+0.5)/ss)*unit, offset + (float64(y)+(float64(sy)+0.5)/ss)*unit}
							if distance(p, near, half) <= half {
								hits++
							}
						}
					}
					if hits == 0 {
						continue
					}
					a = float64(hits) / (ss * ss)
				}
				i := img.PixOffset(x, y)
				img.Pix[i] = blend(img.Pix[i], s.color.R, a)
				img.Pix[i+1] = blend(img.Pix[i+1], s.color.G, a)
				img.Pix[i+2] = blend(img.Pix[i+2], s.color.B, a)
			}
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func blend(dst, src uint8, a float64) uint8 {
	return uint8(math.Round(float64(dst)*(1-a) + float64(src)*a))
}

// Files are the icons under assets/static/icons, by name.
func Files() map[string][]byte {
	return map[string][]byte{
		"mm-16.svg":    SVG(Variant{Stroke: 2.8}),
		"mm-32.svg":    SVG(Variant{Stroke: 2.2}),
		"mm-60.svg":    SVG(Variant{Stroke: 1.8}),
		"icon-192.png": PNG(Variant{Stroke: 2}, 192),
		"icon-512.png": PNG(Variant{Stroke: 2}, 512),
	}
}
