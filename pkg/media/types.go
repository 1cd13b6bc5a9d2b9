package media

import "strings"

// octetStream is what every file outside the table gets, so a browser never
// renders or runs an unknown type.
const octetStream = "application/octet-stream"

const plainText = "text/plain; charset=utf-8"

// extTypes maps lower-case extensions to the stored Content-Type of
// non-image files. Only inert types are listed: HTML, XHTML, SVG, XML,
// JavaScript and anything else a browser could execute stay out and fall to
// octet-stream. Image extensions stay out as well, because only SniffImage
// makes a file an image.
var extTypes = map[string]string{
	"pdf":  "application/pdf",
	"rtf":  "application/rtf",
	"json": "application/json",
	"epub": "application/epub+zip",

	"txt": plainText, "text": plainText, "md": plainText, "markdown": plainText,
	"rst": plainText, "log": plainText, "csv": plainText, "tsv": plainText,
	"ini": plainText, "cfg": plainText, "conf": plainText, "toml": plainText,
	"yaml": plainText, "yml": plainText, "diff": plainText, "patch": plainText,
	"tex": plainText, "sql": plainText, "css": plainText,
	"go": plainText, "c": plainText, "h": plainText, "cc": plainText,
	"cpp": plainText, "cxx": plainText, "hpp": plainText, "cs": plainText,
	"java": plainText, "kt": plainText, "py": plainText, "rb": plainText,
	"rs": plainText, "swift": plainText, "lua": plainText, "pl": plainText,
	"sh": plainText, "bash": plainText, "zsh": plainText,

	"zip": "application/zip",
	"gz":  "application/gzip",
	"tgz": "application/gzip",
	"tar": "application/x-tar",
	"7z":  "application/x-7z-compressed",
	"bz2": "application/x-bzip2",
	"xz":  "application/x-xz",
	"zst": "application/zstd",
	"rar": "application/vnd.rar",

	"doc":  "application/msword",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls":  "application/vnd.ms-excel",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"ppt":  "application/vnd.ms-powerpoint",
	"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"odt":  "application/vnd.oasis.opendocument.text",
	"ods":  "application/vnd.oasis.opendocument.spreadsheet",
	"odp":  "application/vnd.oasis.opendocument.presentation",

	"mp3":  "audio/mpeg",
	"ogg":  "audio/ogg",
	"oga":  "audio/ogg",
	"opus": "audio/ogg",
	"wav":  "audio/wav",
	"flac": "audio/flac",
	"m4a":  "audio/mp4",
	"aac":  "audio/aac",

	"mp4":  "video/mp4",
	"m4v":  "video/mp4",
	"webm": "video/webm",
	"ogv":  "video/ogg",
	"mov":  "video/quicktime",
	"mkv":  "video/x-matroska",
}

// ContentType returns the Content-Type stored for an attachment that is not
// an image, chosen by the extension of name (a CleanName result) from a fixed
// table of inert types, case-insensitively; only the last extension counts,
// so "a.pdf.html" counts as HTML. Everything else, HTML, XHTML, SVG, XML and
// JavaScript included, is application/octet-stream.
func ContentType(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return octetStream
	}
	if t, ok := extTypes[strings.ToLower(name[i+1:])]; ok {
		return t
	}
	return octetStream
}
