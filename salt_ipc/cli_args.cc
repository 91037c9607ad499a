// Salt's CLI argument parsing (shlex.split + salt.utils.args.parse_input +
// yamlify_arg). See cli_args.h for the behaviour and the documented choices.
//
// The YAML code below follows the structure of libyaml (which PyYAML's
// CSafeLoader, and therefore Salt, uses) so that every word is accepted or
// rejected exactly as Salt does, then applies PyYAML's YAML 1.1 implicit
// resolvers and the SafeConstructor / SaltYamlSafeLoader construction rules.
// The libyaml reproduced is 0.2.5, inside PyYAML 6.0.1: what Salt 3006's
// onedir ships and scripts/salt-requirements.txt pins (newer PyYAML wheels
// carry a 2024 parser fix that reads `[?]` as `[{null: null}]`; 0.2.5
// rejects it, so the word stays a string). libyaml's own nesting limit (1000)
// is never reached because ours (kMaxYamlDepth) is lower.
// Errors inside are C++ exceptions of type YamlError (and std::bad_alloc etc.);
// all are caught in yaml_load(), where "any error" means "keep the word".
#include "salt_ipc/cli_args.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace saltgw::salt_ipc {
namespace {

// ---------------------------------------------------------------------------
// Unicode helpers

struct CpRange {
  char32_t lo, hi;
};

// Generated from Python 3.10 (unicodedata 13.0), the Python Salt 3006 runs on:
//   kWordRanges:    c.isalnum() or c == '_'   (re's \w for str patterns)
//   kDecimalRanges: c.isdecimal()             (re's \d; every range starts at a 0)
//   kSpaceRanges:   c.isspace()               (str.strip() / int() whitespace)
constexpr CpRange kWordRanges[] = {
    {0x30, 0x39}, {0x41, 0x5A}, {0x5F, 0x5F}, {0x61, 0x7A}, {0xAA, 0xAA}, {0xB2, 0xB3},
    {0xB5, 0xB5}, {0xB9, 0xBA}, {0xBC, 0xBE}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x2C1},
    {0x2C6, 0x2D1}, {0x2E0, 0x2E4}, {0x2EC, 0x2EC}, {0x2EE, 0x2EE}, {0x370, 0x374},
    {0x376, 0x377}, {0x37A, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A},
    {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F},
    {0x531, 0x556}, {0x559, 0x559}, {0x560, 0x588}, {0x5D0, 0x5EA}, {0x5EF, 0x5F2},
    {0x620, 0x64A}, {0x660, 0x669}, {0x66E, 0x66F}, {0x671, 0x6D3}, {0x6D5, 0x6D5},
    {0x6E5, 0x6E6}, {0x6EE, 0x6FC}, {0x6FF, 0x6FF}, {0x710, 0x710}, {0x712, 0x72F},
    {0x74D, 0x7A5}, {0x7B1, 0x7B1}, {0x7C0, 0x7EA}, {0x7F4, 0x7F5}, {0x7FA, 0x7FA},
    {0x800, 0x815}, {0x81A, 0x81A}, {0x824, 0x824}, {0x828, 0x828}, {0x840, 0x858},
    {0x860, 0x86A}, {0x8A0, 0x8B4}, {0x8B6, 0x8C7}, {0x904, 0x939}, {0x93D, 0x93D},
    {0x950, 0x950}, {0x958, 0x961}, {0x966, 0x96F}, {0x971, 0x980}, {0x985, 0x98C},
    {0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0}, {0x9B2, 0x9B2}, {0x9B6, 0x9B9},
    {0x9BD, 0x9BD}, {0x9CE, 0x9CE}, {0x9DC, 0x9DD}, {0x9DF, 0x9E1}, {0x9E6, 0x9F1},
    {0x9F4, 0x9F9}, {0x9FC, 0x9FC}, {0xA05, 0xA0A}, {0xA0F, 0xA10}, {0xA13, 0xA28},
    {0xA2A, 0xA30}, {0xA32, 0xA33}, {0xA35, 0xA36}, {0xA38, 0xA39}, {0xA59, 0xA5C},
    {0xA5E, 0xA5E}, {0xA66, 0xA6F}, {0xA72, 0xA74}, {0xA85, 0xA8D}, {0xA8F, 0xA91},
    {0xA93, 0xAA8}, {0xAAA, 0xAB0}, {0xAB2, 0xAB3}, {0xAB5, 0xAB9}, {0xABD, 0xABD},
    {0xAD0, 0xAD0}, {0xAE0, 0xAE1}, {0xAE6, 0xAEF}, {0xAF9, 0xAF9}, {0xB05, 0xB0C},
    {0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30}, {0xB32, 0xB33}, {0xB35, 0xB39},
    {0xB3D, 0xB3D}, {0xB5C, 0xB5D}, {0xB5F, 0xB61}, {0xB66, 0xB6F}, {0xB71, 0xB77},
    {0xB83, 0xB83}, {0xB85, 0xB8A}, {0xB8E, 0xB90}, {0xB92, 0xB95}, {0xB99, 0xB9A},
    {0xB9C, 0xB9C}, {0xB9E, 0xB9F}, {0xBA3, 0xBA4}, {0xBA8, 0xBAA}, {0xBAE, 0xBB9},
    {0xBD0, 0xBD0}, {0xBE6, 0xBF2}, {0xC05, 0xC0C}, {0xC0E, 0xC10}, {0xC12, 0xC28},
    {0xC2A, 0xC39}, {0xC3D, 0xC3D}, {0xC58, 0xC5A}, {0xC60, 0xC61}, {0xC66, 0xC6F},
    {0xC78, 0xC7E}, {0xC80, 0xC80}, {0xC85, 0xC8C}, {0xC8E, 0xC90}, {0xC92, 0xCA8},
    {0xCAA, 0xCB3}, {0xCB5, 0xCB9}, {0xCBD, 0xCBD}, {0xCDE, 0xCDE}, {0xCE0, 0xCE1},
    {0xCE6, 0xCEF}, {0xCF1, 0xCF2}, {0xD04, 0xD0C}, {0xD0E, 0xD10}, {0xD12, 0xD3A},
    {0xD3D, 0xD3D}, {0xD4E, 0xD4E}, {0xD54, 0xD56}, {0xD58, 0xD61}, {0xD66, 0xD78},
    {0xD7A, 0xD7F}, {0xD85, 0xD96}, {0xD9A, 0xDB1}, {0xDB3, 0xDBB}, {0xDBD, 0xDBD},
    {0xDC0, 0xDC6}, {0xDE6, 0xDEF}, {0xE01, 0xE30}, {0xE32, 0xE33}, {0xE40, 0xE46},
    {0xE50, 0xE59}, {0xE81, 0xE82}, {0xE84, 0xE84}, {0xE86, 0xE8A}, {0xE8C, 0xEA3},
    {0xEA5, 0xEA5}, {0xEA7, 0xEB0}, {0xEB2, 0xEB3}, {0xEBD, 0xEBD}, {0xEC0, 0xEC4},
    {0xEC6, 0xEC6}, {0xED0, 0xED9}, {0xEDC, 0xEDF}, {0xF00, 0xF00}, {0xF20, 0xF33},
    {0xF40, 0xF47}, {0xF49, 0xF6C}, {0xF88, 0xF8C}, {0x1000, 0x102A}, {0x103F, 0x1049},
    {0x1050, 0x1055}, {0x105A, 0x105D}, {0x1061, 0x1061}, {0x1065, 0x1066},
    {0x106E, 0x1070}, {0x1075, 0x1081}, {0x108E, 0x108E}, {0x1090, 0x1099},
    {0x10A0, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA},
    {0x10FC, 0x1248}, {0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258},
    {0x125A, 0x125D}, {0x1260, 0x1288}, {0x128A, 0x128D}, {0x1290, 0x12B0},
    {0x12B2, 0x12B5}, {0x12B8, 0x12BE}, {0x12C0, 0x12C0}, {0x12C2, 0x12C5},
    {0x12C8, 0x12D6}, {0x12D8, 0x1310}, {0x1312, 0x1315}, {0x1318, 0x135A},
    {0x1369, 0x137C}, {0x1380, 0x138F}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
    {0x1401, 0x166C}, {0x166F, 0x167F}, {0x1681, 0x169A}, {0x16A0, 0x16EA},
    {0x16EE, 0x16F8}, {0x1700, 0x170C}, {0x170E, 0x1711}, {0x1720, 0x1731},
    {0x1740, 0x1751}, {0x1760, 0x176C}, {0x176E, 0x1770}, {0x1780, 0x17B3},
    {0x17D7, 0x17D7}, {0x17DC, 0x17DC}, {0x17E0, 0x17E9}, {0x17F0, 0x17F9},
    {0x1810, 0x1819}, {0x1820, 0x1878}, {0x1880, 0x1884}, {0x1887, 0x18A8},
    {0x18AA, 0x18AA}, {0x18B0, 0x18F5}, {0x1900, 0x191E}, {0x1946, 0x196D},
    {0x1970, 0x1974}, {0x1980, 0x19AB}, {0x19B0, 0x19C9}, {0x19D0, 0x19DA},
    {0x1A00, 0x1A16}, {0x1A20, 0x1A54}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99},
    {0x1AA7, 0x1AA7}, {0x1B05, 0x1B33}, {0x1B45, 0x1B4B}, {0x1B50, 0x1B59},
    {0x1B83, 0x1BA0}, {0x1BAE, 0x1BE5}, {0x1C00, 0x1C23}, {0x1C40, 0x1C49},
    {0x1C4D, 0x1C7D}, {0x1C80, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
    {0x1CE9, 0x1CEC}, {0x1CEE, 0x1CF3}, {0x1CF5, 0x1CF6}, {0x1CFA, 0x1CFA},
    {0x1D00, 0x1DBF}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC},
    {0x2070, 0x2071}, {0x2074, 0x2079}, {0x207F, 0x2089}, {0x2090, 0x209C},
    {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115},
    {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2150, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF},
    {0x2776, 0x2793}, {0x2C00, 0x2C2E}, {0x2C30, 0x2C5E}, {0x2C60, 0x2CE4},
    {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0x2CFD, 0x2CFD}, {0x2D00, 0x2D25},
    {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}, {0x2D30, 0x2D67}, {0x2D6F, 0x2D6F},
    {0x2D80, 0x2D96}, {0x2DA0, 0x2DA6}, {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6},
    {0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6}, {0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6},
    {0x2DD8, 0x2DDE}, {0x2E2F, 0x2E2F}, {0x3005, 0x3007}, {0x3021, 0x3029},
    {0x3031, 0x3035}, {0x3038, 0x303C}, {0x3041, 0x3096}, {0x309D, 0x309F},
    {0x30A1, 0x30FA}, {0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E},
    {0x3192, 0x3195}, {0x31A0, 0x31BF}, {0x31F0, 0x31FF}, {0x3220, 0x3229},
    {0x3248, 0x324F}, {0x3251, 0x325F}, {0x3280, 0x3289}, {0x32B1, 0x32BF},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFC}, {0xA000, 0xA48C}, {0xA4D0, 0xA4FD},
    {0xA500, 0xA60C}, {0xA610, 0xA62B}, {0xA640, 0xA66E}, {0xA67F, 0xA69D},
    {0xA6A0, 0xA6EF}, {0xA717, 0xA71F}, {0xA722, 0xA788}, {0xA78B, 0xA7BF},
    {0xA7C2, 0xA7CA}, {0xA7F5, 0xA801}, {0xA803, 0xA805}, {0xA807, 0xA80A},
    {0xA80C, 0xA822}, {0xA830, 0xA835}, {0xA840, 0xA873}, {0xA882, 0xA8B3},
    {0xA8D0, 0xA8D9}, {0xA8F2, 0xA8F7}, {0xA8FB, 0xA8FB}, {0xA8FD, 0xA8FE},
    {0xA900, 0xA925}, {0xA930, 0xA946}, {0xA960, 0xA97C}, {0xA984, 0xA9B2},
    {0xA9CF, 0xA9D9}, {0xA9E0, 0xA9E4}, {0xA9E6, 0xA9FE}, {0xAA00, 0xAA28},
    {0xAA40, 0xAA42}, {0xAA44, 0xAA4B}, {0xAA50, 0xAA59}, {0xAA60, 0xAA76},
    {0xAA7A, 0xAA7A}, {0xAA7E, 0xAAAF}, {0xAAB1, 0xAAB1}, {0xAAB5, 0xAAB6},
    {0xAAB9, 0xAABD}, {0xAAC0, 0xAAC0}, {0xAAC2, 0xAAC2}, {0xAADB, 0xAADD},
    {0xAAE0, 0xAAEA}, {0xAAF2, 0xAAF4}, {0xAB01, 0xAB06}, {0xAB09, 0xAB0E},
    {0xAB11, 0xAB16}, {0xAB20, 0xAB26}, {0xAB28, 0xAB2E}, {0xAB30, 0xAB5A},
    {0xAB5C, 0xAB69}, {0xAB70, 0xABE2}, {0xABF0, 0xABF9}, {0xAC00, 0xD7A3},
    {0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB}, {0xF900, 0xFA6D}, {0xFA70, 0xFAD9},
    {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFB1D, 0xFB1D}, {0xFB1F, 0xFB28},
    {0xFB2A, 0xFB36}, {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41},
    {0xFB43, 0xFB44}, {0xFB46, 0xFBB1}, {0xFBD3, 0xFD3D}, {0xFD50, 0xFD8F},
    {0xFD92, 0xFDC7}, {0xFDF0, 0xFDFB}, {0xFE70, 0xFE74}, {0xFE76, 0xFEFC},
    {0xFF10, 0xFF19}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0xFF66, 0xFFBE},
    {0xFFC2, 0xFFC7}, {0xFFCA, 0xFFCF}, {0xFFD2, 0xFFD7}, {0xFFDA, 0xFFDC},
    {0x10000, 0x1000B}, {0x1000D, 0x10026}, {0x10028, 0x1003A}, {0x1003C, 0x1003D},
    {0x1003F, 0x1004D}, {0x10050, 0x1005D}, {0x10080, 0x100FA}, {0x10107, 0x10133},
    {0x10140, 0x10178}, {0x1018A, 0x1018B}, {0x10280, 0x1029C}, {0x102A0, 0x102D0},
    {0x102E1, 0x102FB}, {0x10300, 0x10323}, {0x1032D, 0x1034A}, {0x10350, 0x10375},
    {0x10380, 0x1039D}, {0x103A0, 0x103C3}, {0x103C8, 0x103CF}, {0x103D1, 0x103D5},
    {0x10400, 0x1049D}, {0x104A0, 0x104A9}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10500, 0x10527}, {0x10530, 0x10563}, {0x10600, 0x10736}, {0x10740, 0x10755},
    {0x10760, 0x10767}, {0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835},
    {0x10837, 0x10838}, {0x1083C, 0x1083C}, {0x1083F, 0x10855}, {0x10858, 0x10876},
    {0x10879, 0x1089E}, {0x108A7, 0x108AF}, {0x108E0, 0x108F2}, {0x108F4, 0x108F5},
    {0x108FB, 0x1091B}, {0x10920, 0x10939}, {0x10980, 0x109B7}, {0x109BC, 0x109CF},
    {0x109D2, 0x10A00}, {0x10A10, 0x10A13}, {0x10A15, 0x10A17}, {0x10A19, 0x10A35},
    {0x10A40, 0x10A48}, {0x10A60, 0x10A7E}, {0x10A80, 0x10A9F}, {0x10AC0, 0x10AC7},
    {0x10AC9, 0x10AE4}, {0x10AEB, 0x10AEF}, {0x10B00, 0x10B35}, {0x10B40, 0x10B55},
    {0x10B58, 0x10B72}, {0x10B78, 0x10B91}, {0x10BA9, 0x10BAF}, {0x10C00, 0x10C48},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x10CFA, 0x10D23}, {0x10D30, 0x10D39},
    {0x10E60, 0x10E7E}, {0x10E80, 0x10EA9}, {0x10EB0, 0x10EB1}, {0x10F00, 0x10F27},
    {0x10F30, 0x10F45}, {0x10F51, 0x10F54}, {0x10FB0, 0x10FCB}, {0x10FE0, 0x10FF6},
    {0x11003, 0x11037}, {0x11052, 0x1106F}, {0x11083, 0x110AF}, {0x110D0, 0x110E8},
    {0x110F0, 0x110F9}, {0x11103, 0x11126}, {0x11136, 0x1113F}, {0x11144, 0x11144},
    {0x11147, 0x11147}, {0x11150, 0x11172}, {0x11176, 0x11176}, {0x11183, 0x111B2},
    {0x111C1, 0x111C4}, {0x111D0, 0x111DA}, {0x111DC, 0x111DC}, {0x111E1, 0x111F4},
    {0x11200, 0x11211}, {0x11213, 0x1122B}, {0x11280, 0x11286}, {0x11288, 0x11288},
    {0x1128A, 0x1128D}, {0x1128F, 0x1129D}, {0x1129F, 0x112A8}, {0x112B0, 0x112DE},
    {0x112F0, 0x112F9}, {0x11305, 0x1130C}, {0x1130F, 0x11310}, {0x11313, 0x11328},
    {0x1132A, 0x11330}, {0x11332, 0x11333}, {0x11335, 0x11339}, {0x1133D, 0x1133D},
    {0x11350, 0x11350}, {0x1135D, 0x11361}, {0x11400, 0x11434}, {0x11447, 0x1144A},
    {0x11450, 0x11459}, {0x1145F, 0x11461}, {0x11480, 0x114AF}, {0x114C4, 0x114C5},
    {0x114C7, 0x114C7}, {0x114D0, 0x114D9}, {0x11580, 0x115AE}, {0x115D8, 0x115DB},
    {0x11600, 0x1162F}, {0x11644, 0x11644}, {0x11650, 0x11659}, {0x11680, 0x116AA},
    {0x116B8, 0x116B8}, {0x116C0, 0x116C9}, {0x11700, 0x1171A}, {0x11730, 0x1173B},
    {0x11800, 0x1182B}, {0x118A0, 0x118F2}, {0x118FF, 0x11906}, {0x11909, 0x11909},
    {0x1190C, 0x11913}, {0x11915, 0x11916}, {0x11918, 0x1192F}, {0x1193F, 0x1193F},
    {0x11941, 0x11941}, {0x11950, 0x11959}, {0x119A0, 0x119A7}, {0x119AA, 0x119D0},
    {0x119E1, 0x119E1}, {0x119E3, 0x119E3}, {0x11A00, 0x11A00}, {0x11A0B, 0x11A32},
    {0x11A3A, 0x11A3A}, {0x11A50, 0x11A50}, {0x11A5C, 0x11A89}, {0x11A9D, 0x11A9D},
    {0x11AC0, 0x11AF8}, {0x11C00, 0x11C08}, {0x11C0A, 0x11C2E}, {0x11C40, 0x11C40},
    {0x11C50, 0x11C6C}, {0x11C72, 0x11C8F}, {0x11D00, 0x11D06}, {0x11D08, 0x11D09},
    {0x11D0B, 0x11D30}, {0x11D46, 0x11D46}, {0x11D50, 0x11D59}, {0x11D60, 0x11D65},
    {0x11D67, 0x11D68}, {0x11D6A, 0x11D89}, {0x11D98, 0x11D98}, {0x11DA0, 0x11DA9},
    {0x11EE0, 0x11EF2}, {0x11FB0, 0x11FB0}, {0x11FC0, 0x11FD4}, {0x12000, 0x12399},
    {0x12400, 0x1246E}, {0x12480, 0x12543}, {0x13000, 0x1342E}, {0x14400, 0x14646},
    {0x16800, 0x16A38}, {0x16A40, 0x16A5E}, {0x16A60, 0x16A69}, {0x16AD0, 0x16AED},
    {0x16B00, 0x16B2F}, {0x16B40, 0x16B43}, {0x16B50, 0x16B59}, {0x16B5B, 0x16B61},
    {0x16B63, 0x16B77}, {0x16B7D, 0x16B8F}, {0x16E40, 0x16E96}, {0x16F00, 0x16F4A},
    {0x16F50, 0x16F50}, {0x16F93, 0x16F9F}, {0x16FE0, 0x16FE1}, {0x16FE3, 0x16FE3},
    {0x17000, 0x187F7}, {0x18800, 0x18CD5}, {0x18D00, 0x18D08}, {0x1B000, 0x1B11E},
    {0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB}, {0x1BC00, 0x1BC6A},
    {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99}, {0x1D2E0, 0x1D2F3},
    {0x1D360, 0x1D378}, {0x1D400, 0x1D454}, {0x1D456, 0x1D49C}, {0x1D49E, 0x1D49F},
    {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6}, {0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9},
    {0x1D4BB, 0x1D4BB}, {0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A},
    {0x1D50D, 0x1D514}, {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539}, {0x1D53B, 0x1D53E},
    {0x1D540, 0x1D544}, {0x1D546, 0x1D546}, {0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5},
    {0x1D6A8, 0x1D6C0}, {0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714},
    {0x1D716, 0x1D734}, {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E}, {0x1D770, 0x1D788},
    {0x1D78A, 0x1D7A8}, {0x1D7AA, 0x1D7C2}, {0x1D7C4, 0x1D7CB}, {0x1D7CE, 0x1D7FF},
    {0x1E100, 0x1E12C}, {0x1E137, 0x1E13D}, {0x1E140, 0x1E149}, {0x1E14E, 0x1E14E},
    {0x1E2C0, 0x1E2EB}, {0x1E2F0, 0x1E2F9}, {0x1E800, 0x1E8C4}, {0x1E8C7, 0x1E8CF},
    {0x1E900, 0x1E943}, {0x1E94B, 0x1E94B}, {0x1E950, 0x1E959}, {0x1EC71, 0x1ECAB},
    {0x1ECAD, 0x1ECAF}, {0x1ECB1, 0x1ECB4}, {0x1ED01, 0x1ED2D}, {0x1ED2F, 0x1ED3D},
    {0x1EE00, 0x1EE03}, {0x1EE05, 0x1EE1F}, {0x1EE21, 0x1EE22}, {0x1EE24, 0x1EE24},
    {0x1EE27, 0x1EE27}, {0x1EE29, 0x1EE32}, {0x1EE34, 0x1EE37}, {0x1EE39, 0x1EE39},
    {0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42}, {0x1EE47, 0x1EE47}, {0x1EE49, 0x1EE49},
    {0x1EE4B, 0x1EE4B}, {0x1EE4D, 0x1EE4F}, {0x1EE51, 0x1EE52}, {0x1EE54, 0x1EE54},
    {0x1EE57, 0x1EE57}, {0x1EE59, 0x1EE59}, {0x1EE5B, 0x1EE5B}, {0x1EE5D, 0x1EE5D},
    {0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62}, {0x1EE64, 0x1EE64}, {0x1EE67, 0x1EE6A},
    {0x1EE6C, 0x1EE72}, {0x1EE74, 0x1EE77}, {0x1EE79, 0x1EE7C}, {0x1EE7E, 0x1EE7E},
    {0x1EE80, 0x1EE89}, {0x1EE8B, 0x1EE9B}, {0x1EEA1, 0x1EEA3}, {0x1EEA5, 0x1EEA9},
    {0x1EEAB, 0x1EEBB}, {0x1F100, 0x1F10C}, {0x1FBF0, 0x1FBF9}, {0x20000, 0x2A6DD},
    {0x2A700, 0x2B734}, {0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1}, {0x2CEB0, 0x2EBE0},
    {0x2F800, 0x2FA1D}, {0x30000, 0x3134A},
};
constexpr CpRange kDecimalRanges[] = {
    {0x30, 0x39}, {0x660, 0x669}, {0x6F0, 0x6F9}, {0x7C0, 0x7C9}, {0x966, 0x96F},
    {0x9E6, 0x9EF}, {0xA66, 0xA6F}, {0xAE6, 0xAEF}, {0xB66, 0xB6F}, {0xBE6, 0xBEF},
    {0xC66, 0xC6F}, {0xCE6, 0xCEF}, {0xD66, 0xD6F}, {0xDE6, 0xDEF}, {0xE50, 0xE59},
    {0xED0, 0xED9}, {0xF20, 0xF29}, {0x1040, 0x1049}, {0x1090, 0x1099}, {0x17E0, 0x17E9},
    {0x1810, 0x1819}, {0x1946, 0x194F}, {0x19D0, 0x19D9}, {0x1A80, 0x1A89},
    {0x1A90, 0x1A99}, {0x1B50, 0x1B59}, {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49},
    {0x1C50, 0x1C59}, {0xA620, 0xA629}, {0xA8D0, 0xA8D9}, {0xA900, 0xA909},
    {0xA9D0, 0xA9D9}, {0xA9F0, 0xA9F9}, {0xAA50, 0xAA59}, {0xABF0, 0xABF9},
    {0xFF10, 0xFF19}, {0x104A0, 0x104A9}, {0x10D30, 0x10D39}, {0x11066, 0x1106F},
    {0x110F0, 0x110F9}, {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9},
    {0x11450, 0x11459}, {0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9},
    {0x11730, 0x11739}, {0x118E0, 0x118E9}, {0x11950, 0x11959}, {0x11C50, 0x11C59},
    {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9}, {0x16A60, 0x16A69}, {0x16B50, 0x16B59},
    {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9}, {0x1E950, 0x1E959},
    {0x1FBF0, 0x1FBF9},
};
constexpr CpRange kSpaceRanges[] = {
    {0x9, 0xD}, {0x1C, 0x20}, {0x85, 0x85}, {0xA0, 0xA0}, {0x1680, 0x1680},
    {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
    {0x3000, 0x3000},
};

template <size_t N>
bool in_ranges(const CpRange (&table)[N], char32_t c) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < table[mid].lo) {
      hi = mid;
    } else if (c > table[mid].hi) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

bool is_py_word(char32_t c) { return in_ranges(kWordRanges, c); }
bool is_py_space(char32_t c) { return in_ranges(kSpaceRanges, c); }

// Decimal digit value of a Unicode Nd character, or -1.
int py_decimal_value(char32_t c) {
  if (c >= U'0' && c <= U'9') return static_cast<int>(c - U'0');
  if (c < 0x80) return -1;
  size_t lo = 0, hi = std::size(kDecimalRanges);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < kDecimalRanges[mid].lo) {
      hi = mid;
    } else if (c > kDecimalRanges[mid].hi) {
      lo = mid + 1;
    } else {
      return static_cast<int>((c - kDecimalRanges[mid].lo) % 10);
    }
  }
  return -1;
}

// Strict UTF-8 decoding (no overlongs, no surrogates). False on bad input.
bool utf8_decode(std::string_view in, std::u32string& out) {
  out.clear();
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char b = static_cast<unsigned char>(in[i]);
    char32_t c;
    size_t n;
    if (b < 0x80) {
      c = b;
      n = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      c = b & 0x1F;
      n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      c = b & 0x0F;
      n = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      c = b & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > in.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      unsigned char cb = static_cast<unsigned char>(in[i + k]);
      if ((cb & 0xC0) != 0x80) return false;
      c = (c << 6) | (cb & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF)) {
      return false;
    }
    out.push_back(c);
    i += n;
  }
  return true;
}

void utf8_append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Python's str.strip() on decoded text.
std::u32string_view py_strip(std::u32string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_py_space(s[b])) ++b;
  while (e > b && is_py_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

struct YamlError {};

[[noreturn]] void fail() { throw YamlError{}; }

// ---------------------------------------------------------------------------
// Arbitrary-precision integers, just enough for YAML ints (Python has no
// integer size limit; Salt sends out-of-range ints as their decimal text).

class BigInt {
 public:
  static constexpr uint32_t kBase = 1000000000u;

  bool negative() const { return neg_ && !is_zero(); }
  bool is_zero() const { return limbs_.empty(); }

  void mul_add(uint32_t m, uint32_t a) {
    uint64_t carry = a;
    for (auto& l : limbs_) {
      uint64_t v = static_cast<uint64_t>(l) * m + carry;
      l = static_cast<uint32_t>(v % kBase);
      carry = v / kBase;
    }
    while (carry) {
      limbs_.push_back(static_cast<uint32_t>(carry % kBase));
      carry /= kBase;
    }
    trim();
  }
  void negate() { neg_ = !neg_; }

  // this += o (signed).
  void add(const BigInt& o) {
    if (o.is_zero()) return;
    if (is_zero()) {
      *this = o;
      return;
    }
    if (neg_ == o.neg_) {
      add_mag(o.limbs_);
      return;
    }
    int c = cmp_mag(limbs_, o.limbs_);
    if (c == 0) {
      limbs_.clear();
      neg_ = false;
    } else if (c > 0) {
      sub_mag(limbs_, o.limbs_);
    } else {
      std::vector<uint32_t> r = o.limbs_;
      sub_mag(r, limbs_);
      limbs_ = std::move(r);
      neg_ = o.neg_;
    }
    trim();
  }
  BigInt times_small(uint32_t m) const {
    BigInt r = *this;
    r.mul_add(m, 0);
    return r;
  }
  // Multiplies by an arbitrary BigInt (schoolbook; operands are small here).
  BigInt times(const BigInt& o) const {
    BigInt r;
    if (is_zero() || o.is_zero()) return r;
    std::vector<uint64_t> acc(limbs_.size() + o.limbs_.size() + 1, 0);
    for (size_t i = 0; i < limbs_.size(); ++i) {
      uint64_t carry = 0;
      for (size_t j = 0; j < o.limbs_.size() || carry; ++j) {
        uint64_t cur = acc[i + j] + carry +
                       (j < o.limbs_.size() ? static_cast<uint64_t>(limbs_[i]) * o.limbs_[j] : 0);
        acc[i + j] = cur % kBase;
        carry = cur / kBase;
      }
    }
    for (auto v : acc) r.limbs_.push_back(static_cast<uint32_t>(v));
    r.neg_ = neg_ != o.neg_;
    r.trim();
    return r;
  }

  std::string to_decimal() const {
    if (is_zero()) return "0";
    std::string s = negative() ? "-" : "";
    s += std::to_string(limbs_.back());
    for (size_t i = limbs_.size() - 1; i-- > 0;) {
      std::string part = std::to_string(limbs_[i]);
      s.append(9 - part.size(), '0');
      s += part;
    }
    return s;
  }
  size_t decimal_digits() const {
    if (is_zero()) return 1;
    return (limbs_.size() - 1) * 9 + std::to_string(limbs_.back()).size();
  }
  bool to_int64(int64_t& out) const {
    if (decimal_digits() > 19) return false;  // < 10^19 < 2^64 below
    uint64_t v = 0;
    for (size_t i = limbs_.size(); i-- > 0;) v = v * kBase + limbs_[i];
    const uint64_t lim = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (negative()) {
      if (v > lim + 1) return false;
      out = v == lim + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
    } else {
      if (v > lim) return false;
      out = static_cast<int64_t>(v);
    }
    return true;
  }

 private:
  void trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
    if (limbs_.empty()) neg_ = false;
  }
  void add_mag(const std::vector<uint32_t>& o) {
    if (limbs_.size() < o.size()) limbs_.resize(o.size(), 0);
    uint32_t carry = 0;
    for (size_t i = 0; i < limbs_.size(); ++i) {
      uint64_t v = static_cast<uint64_t>(limbs_[i]) + (i < o.size() ? o[i] : 0) + carry;
      limbs_[i] = static_cast<uint32_t>(v % kBase);
      carry = static_cast<uint32_t>(v / kBase);
    }
    if (carry) limbs_.push_back(carry);
  }
  static int cmp_mag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    for (size_t i = a.size(); i-- > 0;) {
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
  }
  // a -= b, |a| >= |b|.
  static void sub_mag(std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    int64_t borrow = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      int64_t v = static_cast<int64_t>(a[i]) - (i < b.size() ? b[i] : 0) - borrow;
      borrow = v < 0 ? 1 : 0;
      if (v < 0) v += kBase;
      a[i] = static_cast<uint32_t>(v);
    }
  }

  std::vector<uint32_t> limbs_;  // little-endian, base 1e9
  bool neg_ = false;
};

// Python's limit on decimal int<->str conversion (sys.int_info.default_max_str_digits).
constexpr size_t kPyMaxStrDigits = 4300;

// Python's int(text, base) for base 2, 8, 10 or 16.
std::optional<BigInt> py_int(std::string_view text, unsigned base) {
  std::u32string u;
  if (!utf8_decode(text, u)) return std::nullopt;
  // _PyUnicode_TransformDecimalAndSpaceToASCII.
  std::string a;
  for (char32_t c : u) {
    if (c < 0x80) {
      a.push_back(static_cast<char>(c));
    } else if (is_py_space(c)) {
      a.push_back(' ');
    } else if (int d = py_decimal_value(c); d >= 0) {
      a.push_back(static_cast<char>('0' + d));
    } else {
      return std::nullopt;
    }
  }
  auto is_sp = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0, e = a.size();
  while (i < e && is_sp(a[i])) ++i;
  while (e > i && is_sp(a[e - 1])) --e;
  bool neg = false;
  if (i < e && (a[i] == '+' || a[i] == '-')) {
    neg = a[i] == '-';
    ++i;
  }
  if (e - i >= 2 && a[i] == '0') {
    char p = static_cast<char>(a[i + 1] | 0x20);
    if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
      i += 2;
      if (i < e && a[i] == '_') ++i;
    }
  }
  if (i >= e) return std::nullopt;
  size_t ndigits = 0;
  BigInt r;
  bool prev_underscore = false;
  for (size_t k = i; k < e; ++k) {
    char c = a[k];
    if (c == '_') {
      if (prev_underscore || k == i || k + 1 == e) return std::nullopt;
      prev_underscore = true;
      continue;
    }
    prev_underscore = false;
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    r.mul_add(base, d);
    ++ndigits;
  }
  if (base == 10 && ndigits > kPyMaxStrDigits) return std::nullopt;
  if (neg) r.negate();
  return r;
}

// Python's float(text).
std::optional<double> py_float(std::string_view text) {
  std::u32string u;
  if (!utf8_decode(text, u)) return std::nullopt;
  std::string a;
  for (char32_t c : u) {
    if (c < 0x80) {
      a.push_back(static_cast<char>(c));
    } else if (is_py_space(c)) {
      a.push_back(' ');
    } else if (int d = py_decimal_value(c); d >= 0) {
      a.push_back(static_cast<char>('0' + d));
    } else {
      return std::nullopt;
    }
  }
  auto is_sp = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t i = 0, e = a.size();
  while (i < e && is_sp(a[i])) ++i;
  while (e > i && is_sp(a[e - 1])) --e;
  std::string s = a.substr(i, e - i);
  // Underscores between digits are allowed by float(); remove valid ones.
  {
    std::string t;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] == '_') {
        bool ok = k > 0 && k + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[k - 1])) &&
                  std::isdigit(static_cast<unsigned char>(s[k + 1]));
        if (!ok) return std::nullopt;
        continue;
      }
      t.push_back(s[k]);
    }
    s = std::move(t);
  }
  bool neg = false;
  size_t k = 0;
  if (k < s.size() && (s[k] == '+' || s[k] == '-')) {
    neg = s[k] == '-';
    ++k;
  }
  std::string body = s.substr(k);
  std::string lower = body;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "infinity") {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Validate: digits [. digits] | . digits, then optional exponent.
  size_t p = 0, nd = 0;
  while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++nd;
  if (p < body.size() && body[p] == '.') {
    ++p;
    while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++nd;
  }
  if (nd == 0) return std::nullopt;
  if (p < body.size() && (body[p] == 'e' || body[p] == 'E')) {
    ++p;
    if (p < body.size() && (body[p] == '+' || body[p] == '-')) ++p;
    size_t ed = 0;
    while (p < body.size() && std::isdigit(static_cast<unsigned char>(body[p]))) ++p, ++ed;
    if (ed == 0) return std::nullopt;
  }
  if (p != body.size()) return std::nullopt;
  double v = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    v = std::strtod(body.c_str(), nullptr);  // HUGE_VAL or a (sub)normal/zero
  } else if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------
// YAML scanner (libyaml 0.2.5 semantics).

enum class TT {
  kStreamStart,
  kStreamEnd,
  kDirective,
  kDocumentStart,
  kDocumentEnd,
  kBlockSequenceStart,
  kBlockMappingStart,
  kBlockEnd,
  kFlowSequenceStart,
  kFlowSequenceEnd,
  kFlowMappingStart,
  kFlowMappingEnd,
  kBlockEntry,
  kFlowEntry,
  kKey,
  kValue,
  kAlias,
  kAnchor,
  kTag,
  kScalar,
};

enum class Style { kPlain, kSingle, kDouble, kLiteral, kFolded };

struct Mark {
  size_t index = 0, line = 0, column = 0;
};

struct Token {
  TT type;
  Mark mark;
  std::string value;   // scalar, anchor, alias
  std::string handle;  // tag
  std::string suffix;  // tag; %TAG prefix
  int major = 0, minor = 0;  // %YAML
  Style style = Style::kPlain;
};

struct SimpleKey {
  bool possible = false;
  bool required = false;
  size_t token_number = 0;
  Mark mark;
};

bool is_blank(char32_t c) { return c == U' ' || c == U'\t'; }
bool is_break(char32_t c) {
  return c == U'\r' || c == U'\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool is_z(char32_t c) { return c == 0; }
bool is_breakz(char32_t c) { return is_break(c) || is_z(c); }
bool is_blankz(char32_t c) { return is_blank(c) || is_breakz(c); }
bool is_alpha(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z') ||
         c == U'_' || c == U'-';
}
bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool is_hex(char32_t c) {
  return is_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
unsigned hex_value(char32_t c) {
  if (is_digit(c)) return c - U'0';
  if (c >= U'a' && c <= U'f') return c - U'a' + 10;
  return c - U'A' + 10;
}

class Scanner {
 public:
  explicit Scanner(std::u32string in) : s_(std::move(in)) { s_.append(8, U'\0'); }

  std::vector<Token> scan_all() {
    fetch_stream_start();
    while (!done_) fetch_next_token();
    return std::move(tokens_);
  }

 private:
  char32_t ch(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : 0; }
  void skip() {
    ++pos_;
    ++mark_.index;
    ++mark_.column;
  }
  void skip_line() {
    if (ch() == U'\r' && ch(1) == U'\n') {
      pos_ += 2;
      mark_.index += 2;
      mark_.column = 0;
      ++mark_.line;
    } else if (is_break(ch())) {
      ++pos_;
      ++mark_.index;
      mark_.column = 0;
      ++mark_.line;
    }
  }
  void read(std::string& out) {
    utf8_append(out, ch());
    skip();
  }
  void read_line(std::string& out) {
    char32_t c = ch();
    if (c == U'\r' && ch(1) == U'\n') {
      out.push_back('\n');
      pos_ += 2;
      mark_.index += 2;
    } else if (c == U'\r' || c == U'\n' || c == 0x85) {
      out.push_back('\n');
      ++pos_;
      ++mark_.index;
    } else if (c == 0x2028 || c == 0x2029) {
      utf8_append(out, c);
      ++pos_;
      ++mark_.index;
    } else {
      return;
    }
    mark_.column = 0;
    ++mark_.line;
  }

  void append(TT type, Mark m) {
    Token t;
    t.type = type;
    t.mark = m;
    tokens_.push_back(std::move(t));
  }

  void fetch_stream_start() {
    indent_ = -1;
    simple_keys_.push_back(SimpleKey{});
    simple_key_allowed_ = true;
    append(TT::kStreamStart, mark_);
  }

  void fetch_next_token() {
    scan_to_next_token();
    stale_simple_keys();
    unroll_indent(static_cast<ptrdiff_t>(mark_.column));
    char32_t c = ch();
    if (is_z(c)) return fetch_stream_end();
    if (mark_.column == 0 && c == U'%') return fetch_directive();
    if (mark_.column == 0 && c == U'-' && ch(1) == U'-' && ch(2) == U'-' && is_blankz(ch(3))) {
      return fetch_document_indicator(TT::kDocumentStart);
    }
    if (mark_.column == 0 && c == U'.' && ch(1) == U'.' && ch(2) == U'.' && is_blankz(ch(3))) {
      return fetch_document_indicator(TT::kDocumentEnd);
    }
    if (c == U'[') return fetch_flow_collection_start(TT::kFlowSequenceStart);
    if (c == U'{') return fetch_flow_collection_start(TT::kFlowMappingStart);
    if (c == U']') return fetch_flow_collection_end(TT::kFlowSequenceEnd);
    if (c == U'}') return fetch_flow_collection_end(TT::kFlowMappingEnd);
    if (c == U',') return fetch_flow_entry();
    if (c == U'-' && is_blankz(ch(1))) return fetch_block_entry();
    if (c == U'?' && (flow_level_ || is_blankz(ch(1)))) return fetch_key();
    if (c == U':' && (flow_level_ || is_blankz(ch(1)))) return fetch_value();
    if (c == U'*') return fetch_anchor(TT::kAlias);
    if (c == U'&') return fetch_anchor(TT::kAnchor);
    if (c == U'!') return fetch_tag();
    if (c == U'|' && !flow_level_) return fetch_block_scalar(true);
    if (c == U'>' && !flow_level_) return fetch_block_scalar(false);
    if (c == U'\'') return fetch_flow_scalar(true);
    if (c == U'"') return fetch_flow_scalar(false);
    static constexpr std::u32string_view kIndicators = U"-?:,[]{}#&*!|>'\"%@`";
    if (!(is_blankz(c) || kIndicators.find(c) != std::u32string_view::npos) ||
        (c == U'-' && !is_blank(ch(1))) ||
        (!flow_level_ && (c == U'?' || c == U':') && !is_blankz(ch(1)))) {
      return fetch_plain_scalar();
    }
    fail();
  }

  void scan_to_next_token() {
    for (;;) {
      if (mark_.column == 0 && ch() == 0xFEFF) skip();
      while (ch() == U' ' || ((flow_level_ || !simple_key_allowed_) && ch() == U'\t')) skip();
      if (ch() == U'#') {
        while (!is_breakz(ch())) skip();
      }
      if (is_break(ch())) {
        skip_line();
        if (!flow_level_) simple_key_allowed_ = true;
      } else {
        break;
      }
    }
  }

  void stale_simple_keys() {
    for (auto& k : simple_keys_) {
      if (k.possible && (k.mark.line < mark_.line || k.mark.index + 1024 < mark_.index)) {
        if (k.required) fail();
        k.possible = false;
      }
    }
  }

  void save_simple_key() {
    bool required = !flow_level_ && indent_ == static_cast<ptrdiff_t>(mark_.column);
    if (simple_key_allowed_) {
      SimpleKey k;
      k.possible = true;
      k.required = required;
      k.token_number = tokens_.size();
      k.mark = mark_;
      remove_simple_key();
      simple_keys_.back() = k;
    }
  }

  void remove_simple_key() {
    SimpleKey& k = simple_keys_.back();
    if (k.possible && k.required) fail();
    k.possible = false;
  }

  void increase_flow_level() {
    simple_keys_.push_back(SimpleKey{});
    if (++flow_level_ > kMaxYamlDepth) fail();
  }

  void decrease_flow_level() {
    if (flow_level_) {
      --flow_level_;
      simple_keys_.pop_back();
    }
  }

  // number: absolute token index to insert at, or npos to append.
  void roll_indent(ptrdiff_t column, size_t number, TT type, Mark m) {
    if (flow_level_) return;
    if (indent_ < column) {
      indents_.push_back(indent_);
      if (indents_.size() > kMaxYamlDepth) fail();
      indent_ = column;
      Token t;
      t.type = type;
      t.mark = m;
      if (number == std::string::npos) {
        tokens_.push_back(std::move(t));
      } else {
        tokens_.insert(tokens_.begin() + static_cast<ptrdiff_t>(number), std::move(t));
      }
    }
  }

  void unroll_indent(ptrdiff_t column) {
    if (flow_level_) return;
    while (indent_ > column) {
      append(TT::kBlockEnd, mark_);
      indent_ = indents_.back();
      indents_.pop_back();
    }
  }

  void fetch_stream_end() {
    if (mark_.column != 0) {
      mark_.column = 0;
      ++mark_.line;
    }
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    append(TT::kStreamEnd, mark_);
    done_ = true;
  }

  void fetch_document_indicator(TT type) {
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    Mark m = mark_;
    skip();
    skip();
    skip();
    append(type, m);
  }

  void fetch_flow_collection_start(TT type) {
    save_simple_key();
    increase_flow_level();
    simple_key_allowed_ = true;
    Mark m = mark_;
    skip();
    append(type, m);
  }

  void fetch_flow_collection_end(TT type) {
    remove_simple_key();
    decrease_flow_level();
    simple_key_allowed_ = false;
    Mark m = mark_;
    skip();
    append(type, m);
  }

  void fetch_flow_entry() {
    remove_simple_key();
    simple_key_allowed_ = true;
    Mark m = mark_;
    skip();
    append(TT::kFlowEntry, m);
  }

  void fetch_block_entry() {
    if (!flow_level_) {
      if (!simple_key_allowed_) fail();
      roll_indent(static_cast<ptrdiff_t>(mark_.column), std::string::npos,
                  TT::kBlockSequenceStart, mark_);
    }
    remove_simple_key();
    simple_key_allowed_ = true;
    Mark m = mark_;
    skip();
    append(TT::kBlockEntry, m);
  }

  void fetch_key() {
    if (!flow_level_) {
      if (!simple_key_allowed_) fail();
      roll_indent(static_cast<ptrdiff_t>(mark_.column), std::string::npos,
                  TT::kBlockMappingStart, mark_);
    }
    remove_simple_key();
    simple_key_allowed_ = !flow_level_;
    Mark m = mark_;
    skip();
    append(TT::kKey, m);
  }

  void fetch_value() {
    SimpleKey& k = simple_keys_.back();
    if (k.possible) {
      Token t;
      t.type = TT::kKey;
      t.mark = k.mark;
      tokens_.insert(tokens_.begin() + static_cast<ptrdiff_t>(k.token_number), std::move(t));
      roll_indent(static_cast<ptrdiff_t>(k.mark.column), k.token_number, TT::kBlockMappingStart,
                  k.mark);
      simple_keys_.back().possible = false;
      simple_key_allowed_ = false;
    } else {
      if (!flow_level_) {
        if (!simple_key_allowed_) fail();
        roll_indent(static_cast<ptrdiff_t>(mark_.column), std::string::npos,
                    TT::kBlockMappingStart, mark_);
      }
      simple_key_allowed_ = !flow_level_;
    }
    Mark m = mark_;
    skip();
    append(TT::kValue, m);
  }

  void fetch_anchor(TT type) {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = type;
    t.mark = mark_;
    skip();
    size_t length = 0;
    while (is_alpha(ch())) {
      read(t.value);
      ++length;
    }
    char32_t c = ch();
    if (!length || !(is_blankz(c) || c == U'?' || c == U':' || c == U',' || c == U']' ||
                     c == U'}' || c == U'%' || c == U'@' || c == U'`')) {
      fail();
    }
    tokens_.push_back(std::move(t));
  }

  void fetch_tag() {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kTag;
    t.mark = mark_;
    if (ch(1) == U'<') {
      t.handle.clear();
      skip();
      skip();
      t.suffix = scan_tag_uri(true, nullptr);
      if (ch() != U'>') fail();
      skip();
    } else {
      std::string handle = scan_tag_handle();
      if (handle.size() > 1 && handle[0] == '!' && handle.back() == '!') {
        t.handle = handle;
        t.suffix = scan_tag_uri(false, nullptr);
      } else {
        t.suffix = scan_tag_uri(false, &handle);
        t.handle = "!";
        if (t.suffix.empty()) std::swap(t.handle, t.suffix);
      }
    }
    if (!is_blankz(ch())) {
      if (!flow_level_ || ch() != U',') fail();
    }
    tokens_.push_back(std::move(t));
  }

  std::string scan_tag_handle(bool directive = false) {
    std::string s;
    if (ch() != U'!') fail();
    read(s);
    while (is_alpha(ch())) read(s);
    if (ch() == U'!') {
      read(s);
    } else if (directive && s != "!") {
      fail();
    }
    return s;
  }

  void fetch_directive() {
    unroll_indent(-1);
    remove_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kDirective;
    t.mark = mark_;
    skip();
    while (is_alpha(ch())) read(t.value);
    if (t.value.empty() || !is_blankz(ch())) fail();
    if (t.value == "YAML") {
      while (is_blank(ch())) skip();
      t.major = scan_version_number();
      if (ch() != U'.') fail();
      skip();
      t.minor = scan_version_number();
    } else if (t.value == "TAG") {
      while (is_blank(ch())) skip();
      t.handle = scan_tag_handle(true);
      if (!is_blank(ch())) fail();
      while (is_blank(ch())) skip();
      t.suffix = scan_tag_uri(true, nullptr);
      if (!is_blankz(ch())) fail();
    } else {
      fail();
    }
    while (is_blank(ch())) skip();
    if (ch() == U'#') {
      while (!is_breakz(ch())) skip();
    }
    if (!is_breakz(ch())) fail();
    if (is_break(ch())) skip_line();
    tokens_.push_back(std::move(t));
  }

  int scan_version_number() {
    int value = 0, length = 0;
    while (is_digit(ch())) {
      if (++length > 9) fail();
      value = value * 10 + static_cast<int>(ch() - U'0');
      skip();
    }
    if (!length) fail();
    return value;
  }

  std::string scan_tag_uri(bool uri_char, const std::string* head) {
    size_t length = head ? head->size() : 0;
    std::string s;
    if (length > 1) s = head->substr(1);
    static constexpr std::u32string_view kUri = U";/?:@&=+$.%!~*'()";
    for (;;) {
      char32_t c = ch();
      bool ok = is_alpha(c) || kUri.find(c) != std::u32string_view::npos ||
                (uri_char && (c == U',' || c == U'[' || c == U']'));
      if (!ok || is_z(c)) break;
      if (c == U'%') {
        scan_uri_escapes(s);
      } else {
        read(s);
      }
      ++length;
    }
    if (!length) fail();
    return s;
  }

  void scan_uri_escapes(std::string& s) {
    int width = 0;
    do {
      if (!(ch() == U'%' && is_hex(ch(1)) && is_hex(ch(2)))) fail();
      unsigned octet = (hex_value(ch(1)) << 4) + hex_value(ch(2));
      if (!width) {
        width = (octet & 0x80) == 0x00   ? 1
                : (octet & 0xE0) == 0xC0 ? 2
                : (octet & 0xF0) == 0xE0 ? 3
                : (octet & 0xF8) == 0xF0 ? 4
                                         : 0;
        if (!width) fail();
      } else if ((octet & 0xC0) != 0x80) {
        fail();
      }
      s.push_back(static_cast<char>(octet));
      skip();
      skip();
      skip();
    } while (--width);
  }

  void fetch_block_scalar(bool literal) {
    remove_simple_key();
    simple_key_allowed_ = true;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = literal ? Style::kLiteral : Style::kFolded;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks;
    int chomping = 0;
    ptrdiff_t increment = 0, indent = 0;
    bool leading_blank = false, trailing_blank = false;
    skip();
    if (ch() == U'+' || ch() == U'-') {
      chomping = ch() == U'+' ? 1 : -1;
      skip();
      if (is_digit(ch())) {
        if (ch() == U'0') fail();
        increment = ch() - U'0';
        skip();
      }
    } else if (is_digit(ch())) {
      if (ch() == U'0') fail();
      increment = ch() - U'0';
      skip();
      if (ch() == U'+' || ch() == U'-') {
        chomping = ch() == U'+' ? 1 : -1;
        skip();
      }
    }
    while (is_blank(ch())) skip();
    if (ch() == U'#') {
      while (!is_breakz(ch())) skip();
    }
    if (!is_breakz(ch())) fail();
    if (is_break(ch())) skip_line();
    if (increment) indent = indent_ >= 0 ? indent_ + increment : increment;
    block_scalar_breaks(indent, trailing_breaks);
    while (static_cast<ptrdiff_t>(mark_.column) == indent && !is_z(ch())) {
      trailing_blank = is_blank(ch());
      if (!literal && !leading_break.empty() && leading_break[0] == '\n' && !leading_blank &&
          !trailing_blank) {
        if (trailing_breaks.empty()) str.push_back(' ');
        leading_break.clear();
      } else {
        str += leading_break;
        leading_break.clear();
      }
      str += trailing_breaks;
      trailing_breaks.clear();
      leading_blank = is_blank(ch());
      while (!is_breakz(ch())) read(str);
      read_line(leading_break);
      block_scalar_breaks(indent, trailing_breaks);
    }
    if (chomping != -1) str += leading_break;
    if (chomping == 1) str += trailing_breaks;
    tokens_.push_back(std::move(t));
  }

  void block_scalar_breaks(ptrdiff_t& indent, std::string& breaks) {
    ptrdiff_t max_indent = 0;
    for (;;) {
      while ((!indent || static_cast<ptrdiff_t>(mark_.column) < indent) && ch() == U' ') skip();
      if (static_cast<ptrdiff_t>(mark_.column) > max_indent) {
        max_indent = static_cast<ptrdiff_t>(mark_.column);
      }
      if ((!indent || static_cast<ptrdiff_t>(mark_.column) < indent) && ch() == U'\t') fail();
      if (!is_break(ch())) break;
      read_line(breaks);
    }
    if (!indent) {
      indent = max_indent;
      if (indent < indent_ + 1) indent = indent_ + 1;
      if (indent < 1) indent = 1;
    }
  }

  void fetch_flow_scalar(bool single) {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = single ? Style::kSingle : Style::kDouble;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks, whitespaces;
    skip();
    for (;;) {
      if (mark_.column == 0 &&
          ((ch() == U'-' && ch(1) == U'-' && ch(2) == U'-') ||
           (ch() == U'.' && ch(1) == U'.' && ch(2) == U'.')) &&
          is_blankz(ch(3))) {
        fail();
      }
      if (is_z(ch())) fail();
      bool leading_blanks = false;
      while (!is_blankz(ch())) {
        if (single && ch() == U'\'' && ch(1) == U'\'') {
          str.push_back('\'');
          skip();
          skip();
        } else if (ch() == (single ? U'\'' : U'"')) {
          break;
        } else if (!single && ch() == U'\\' && is_break(ch(1))) {
          skip();
          skip_line();
          leading_blanks = true;
          break;
        } else if (!single && ch() == U'\\') {
          size_t code_length = 0;
          switch (ch(1)) {
            case U'0': str.push_back('\0'); break;
            case U'a': str.push_back('\x07'); break;
            case U'b': str.push_back('\x08'); break;
            case U't':
            case U'\t': str.push_back('\x09'); break;
            case U'n': str.push_back('\x0A'); break;
            case U'v': str.push_back('\x0B'); break;
            case U'f': str.push_back('\x0C'); break;
            case U'r': str.push_back('\x0D'); break;
            case U'e': str.push_back('\x1B'); break;
            case U' ': str.push_back(' '); break;
            case U'"': str.push_back('"'); break;
            case U'/': str.push_back('/'); break;
            case U'\\': str.push_back('\\'); break;
            case U'N': utf8_append(str, 0x85); break;
            case U'_': utf8_append(str, 0xA0); break;
            case U'L': utf8_append(str, 0x2028); break;
            case U'P': utf8_append(str, 0x2029); break;
            case U'x': code_length = 2; break;
            case U'u': code_length = 4; break;
            case U'U': code_length = 8; break;
            default: fail();
          }
          skip();
          skip();
          if (code_length) {
            uint32_t value = 0;
            for (size_t k = 0; k < code_length; ++k) {
              if (!is_hex(ch(k))) fail();
              value = (value << 4) + hex_value(ch(k));
            }
            if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) fail();
            utf8_append(str, value);
            for (size_t k = 0; k < code_length; ++k) skip();
          }
        } else {
          read(str);
        }
      }
      if (ch() == (single ? U'\'' : U'"')) break;
      while (is_blank(ch()) || is_break(ch())) {
        if (is_blank(ch())) {
          if (!leading_blanks) {
            read(whitespaces);
          } else {
            skip();
          }
        } else {
          if (!leading_blanks) {
            whitespaces.clear();
            read_line(leading_break);
            leading_blanks = true;
          } else {
            read_line(trailing_breaks);
          }
        }
      }
      if (leading_blanks) {
        if (!leading_break.empty() && leading_break[0] == '\n') {
          if (trailing_breaks.empty()) {
            str.push_back(' ');
          } else {
            str += trailing_breaks;
            trailing_breaks.clear();
          }
          leading_break.clear();
        } else {
          str += leading_break;
          str += trailing_breaks;
          leading_break.clear();
          trailing_breaks.clear();
        }
      } else {
        str += whitespaces;
        whitespaces.clear();
      }
    }
    skip();
    tokens_.push_back(std::move(t));
  }

  void fetch_plain_scalar() {
    save_simple_key();
    simple_key_allowed_ = false;
    Token t;
    t.type = TT::kScalar;
    t.mark = mark_;
    t.style = Style::kPlain;
    std::string& str = t.value;
    std::string leading_break, trailing_breaks, whitespaces;
    bool leading_blanks = false;
    ptrdiff_t indent = indent_ + 1;
    for (;;) {
      if (mark_.column == 0 &&
          ((ch() == U'-' && ch(1) == U'-' && ch(2) == U'-') ||
           (ch() == U'.' && ch(1) == U'.' && ch(2) == U'.')) &&
          is_blankz(ch(3))) {
        break;
      }
      if (ch() == U'#') break;
      while (!is_blankz(ch())) {
        char32_t c = ch(), n = ch(1);
        if (flow_level_ && c == U':' &&
            (n == U',' || n == U'?' || n == U'[' || n == U']' || n == U'{' || n == U'}')) {
          fail();
        }
        if ((c == U':' && is_blankz(n)) ||
            (flow_level_ && (c == U',' || c == U'[' || c == U']' || c == U'{' || c == U'}'))) {
          break;
        }
        if (leading_blanks || !whitespaces.empty()) {
          if (leading_blanks) {
            if (!leading_break.empty() && leading_break[0] == '\n') {
              if (trailing_breaks.empty()) {
                str.push_back(' ');
              } else {
                str += trailing_breaks;
                trailing_breaks.clear();
              }
              leading_break.clear();
            } else {
              str += leading_break;
              str += trailing_breaks;
              leading_break.clear();
              trailing_breaks.clear();
            }
            leading_blanks = false;
          } else {
            str += whitespaces;
            whitespaces.clear();
          }
        }
        read(str);
      }
      if (!(is_blank(ch()) || is_break(ch()))) break;
      while (is_blank(ch()) || is_break(ch())) {
        if (is_blank(ch())) {
          if (leading_blanks && static_cast<ptrdiff_t>(mark_.column) < indent && ch() == U'\t') {
            fail();
          }
          if (!leading_blanks) {
            read(whitespaces);
          } else {
            skip();
          }
        } else {
          if (!leading_blanks) {
            whitespaces.clear();
            read_line(leading_break);
            leading_blanks = true;
          } else {
            read_line(trailing_breaks);
          }
        }
      }
      if (!flow_level_ && static_cast<ptrdiff_t>(mark_.column) < indent) break;
    }
    tokens_.push_back(std::move(t));
    if (leading_blanks) simple_key_allowed_ = true;
  }

  std::u32string s_;
  size_t pos_ = 0;
  Mark mark_;
  std::vector<Token> tokens_;
  bool done_ = false;
  size_t flow_level_ = 0;
  ptrdiff_t indent_ = -1;
  std::vector<ptrdiff_t> indents_;
  bool simple_key_allowed_ = false;
  std::vector<SimpleKey> simple_keys_;
};

// ---------------------------------------------------------------------------
// Resolver: PyYAML's YAML 1.1 implicit resolvers (yaml/resolver.py).

constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";
constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";
constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr std::string_view kTagSeq = "tag:yaml.org,2002:seq";
constexpr std::string_view kTagMap = "tag:yaml.org,2002:map";
constexpr std::string_view kTagMerge = "tag:yaml.org,2002:merge";
constexpr std::string_view kTagValue = "tag:yaml.org,2002:value";
constexpr std::string_view kTagYaml = "tag:yaml.org,2002:yaml";
constexpr std::string_view kTagTimestamp = "tag:yaml.org,2002:timestamp";
constexpr std::string_view kTagBinary = "tag:yaml.org,2002:binary";
constexpr std::string_view kTagOmap = "tag:yaml.org,2002:omap";
constexpr std::string_view kTagPairs = "tag:yaml.org,2002:pairs";
constexpr std::string_view kTagSet = "tag:yaml.org,2002:set";
constexpr std::string_view kTagPyUnicode = "tag:yaml.org,2002:python/unicode";

bool d09(char c) { return c >= '0' && c <= '9'; }

bool match_bool(std::string_view v) {
  static constexpr std::string_view kWords[] = {
      "yes", "Yes", "YES", "no",    "No",    "NO",    "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  for (auto w : kWords) {
    if (v == w) return true;
  }
  return false;
}

// `[0-9][0-9_]*` at p; returns end or npos.
size_t digits_us(std::string_view v, size_t p) {
  if (p >= v.size() || !d09(v[p])) return std::string::npos;
  ++p;
  while (p < v.size() && (d09(v[p]) || v[p] == '_')) ++p;
  return p;
}

// `(?::[0-5]?[0-9])+` at p; returns end or npos.
size_t sexagesimal_groups(std::string_view v, size_t p) {
  size_t groups = 0;
  while (p < v.size() && v[p] == ':') {
    size_t q = p + 1;
    if (q + 1 < v.size() + 1 && q < v.size() && v[q] >= '0' && v[q] <= '5' && q + 1 < v.size() &&
        d09(v[q + 1])) {
      q += 2;
    } else if (q < v.size() && d09(v[q])) {
      q += 1;
    } else {
      break;
    }
    p = q;
    ++groups;
  }
  return groups ? p : std::string::npos;
}

bool match_float(std::string_view v) {
  size_t n = v.size();
  // [-+]?\.(?:inf|Inf|INF) and \.(?:nan|NaN|NAN)
  {
    std::string_view w = v;
    if (!w.empty() && (w[0] == '-' || w[0] == '+')) w.remove_prefix(1);
    if (w == ".inf" || w == ".Inf" || w == ".INF") return true;
  }
  if (v == ".nan" || v == ".NaN" || v == ".NAN") return true;
  // \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
  auto exponent_to_end = [&](size_t p) {
    if (p == n) return true;
    if (v[p] != 'e' && v[p] != 'E') return false;
    ++p;
    if (p >= n || (v[p] != '-' && v[p] != '+')) return false;
    ++p;
    if (p >= n || !d09(v[p])) return false;
    while (p < n && d09(v[p])) ++p;
    return p == n;
  };
  if (n > 0 && v[0] == '.') {
    size_t p = digits_us(v, 1);
    return p != std::string::npos && exponent_to_end(p);
  }
  size_t p = 0;
  if (p < n && (v[p] == '-' || v[p] == '+')) ++p;
  size_t q = digits_us(v, p);
  if (q == std::string::npos) return false;
  // [0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
  if (q < n && v[q] == '.') {
    size_t r = q + 1;
    while (r < n && (d09(v[r]) || v[r] == '_')) ++r;
    if (exponent_to_end(r)) return true;
  }
  // [0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
  size_t r = sexagesimal_groups(v, q);
  if (r != std::string::npos && r < n && v[r] == '.') {
    ++r;
    while (r < n && (d09(v[r]) || v[r] == '_')) ++r;
    if (r == n) return true;
  }
  return false;
}

bool match_int(std::string_view v) {
  size_t n = v.size();
  size_t p = 0;
  if (p < n && (v[p] == '-' || v[p] == '+')) ++p;
  std::string_view w = v.substr(p);
  if (w.empty()) return false;
  auto all_of = [](std::string_view s, auto pred) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!pred(c)) return false;
    }
    return true;
  };
  if (w.size() > 2 && w[0] == '0' && w[1] == 'b' &&
      all_of(w.substr(2), [](char c) { return c == '0' || c == '1' || c == '_'; })) {
    return true;
  }
  if (w.size() > 1 && w[0] == '0' &&
      all_of(w.substr(1), [](char c) { return (c >= '0' && c <= '7') || c == '_'; })) {
    return true;
  }
  if (w == "0") return true;
  if (w[0] >= '1' && w[0] <= '9' &&
      (w.size() == 1 || all_of(w.substr(1), [](char c) { return d09(c) || c == '_'; }))) {
    return true;
  }
  if (w.size() > 2 && w[0] == '0' && w[1] == 'x' &&
      all_of(w.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '_'; })) {
    return true;
  }
  if (w[0] >= '1' && w[0] <= '9') {
    size_t q = digits_us(w, 0);
    size_t r = sexagesimal_groups(w, q);
    if (r == w.size()) return true;
  }
  return false;
}

bool match_null(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

// Python's re `$` also matches before one trailing newline.
template <class F>
bool py_match(std::string_view v, F f) {
  if (f(v)) return true;
  return !v.empty() && v.back() == '\n' && f(v.substr(0, v.size() - 1));
}

std::string_view resolve_scalar(std::string_view v, bool implicit) {
  if (!implicit) return kTagStr;
  if (v.empty()) return kTagNull;
  char c = v[0];
  static constexpr std::string_view kBoolFirst = "yYnNtTfFoO";
  static constexpr std::string_view kFloatFirst = "-+0123456789.";
  static constexpr std::string_view kIntFirst = "-+0123456789";
  if (kBoolFirst.find(c) != std::string_view::npos && py_match(v, match_bool)) return kTagBool;
  if (kFloatFirst.find(c) != std::string_view::npos && py_match(v, match_float)) return kTagFloat;
  if (kIntFirst.find(c) != std::string_view::npos && py_match(v, match_int)) return kTagInt;
  if (c == '<' && py_match(v, [](std::string_view s) { return s == "<<"; })) return kTagMerge;
  if ((c == '~' || c == 'n' || c == 'N') && py_match(v, match_null)) return kTagNull;
  // The timestamp resolver is left out: SaltYamlSafeLoader constructs
  // timestamps as the plain scalar text, i.e. exactly like str.
  if (c == '=' && py_match(v, [](std::string_view s) { return s == "="; })) return kTagValue;
  if ((c == '!' || c == '&' || c == '*') &&
      py_match(v, [](std::string_view s) { return s == "!" || s == "&" || s == "*"; })) {
    return kTagYaml;
  }
  return kTagStr;
}

// ---------------------------------------------------------------------------
// Parser + composer (libyaml parser.c state machine, PyYAML composer).

struct Node {
  enum Kind { kScalar, kSeq, kMap } kind = kScalar;
  std::string tag;
  std::string value;
  std::vector<Node*> items;
  std::vector<std::pair<Node*, Node*>> pairs;
  bool complete = false;
};

class Composer {
 public:
  explicit Composer(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // nullptr for an empty stream (yaml.load returns None).
  Node* compose() {
    if (peek().type != TT::kStreamStart) fail();
    ++pos_;
    Node* root = nullptr;
    TT t = peek().type;
    if (t != TT::kDirective && t != TT::kDocumentStart && t != TT::kStreamEnd) {
      process_directives();
      root = parse_node(true, false, 0);
    } else if (t != TT::kStreamEnd) {
      process_directives();
      if (peek().type != TT::kDocumentStart) fail();
      ++pos_;  // DOCUMENT-START
      t = peek().type;
      if (t == TT::kDirective || t == TT::kDocumentStart || t == TT::kDocumentEnd ||
          t == TT::kStreamEnd) {
        root = empty_scalar();
      } else {
        root = parse_node(true, false, 0);
      }
    } else {
      return nullptr;
    }
    if (peek().type == TT::kDocumentEnd) ++pos_;
    while (peek().type == TT::kDocumentEnd) ++pos_;
    if (peek().type != TT::kStreamEnd) fail();  // a second document, or an error
    return root;
  }

 private:
  const Token& peek() const { return pos_ < tokens_.size() ? tokens_[pos_] : tokens_.back(); }

  // yaml_parser_process_directives: %YAML / %TAG, then the default handles.
  void process_directives() {
    bool have_version = false;
    while (peek().type == TT::kDirective) {
      const Token& t = peek();
      if (t.value == "YAML") {
        if (have_version) fail();
        if (t.major != 1 || (t.minor != 1 && t.minor != 2)) fail();
        have_version = true;
      } else {
        for (auto& d : tag_directives_) {
          if (d.first == t.handle) fail();  // duplicate %TAG
        }
        tag_directives_.emplace_back(t.handle, t.suffix);
      }
      ++pos_;
    }
    for (auto def : {std::pair<std::string, std::string>{"!", "!"},
                     std::pair<std::string, std::string>{"!!", "tag:yaml.org,2002:"}}) {
      bool found = false;
      for (auto& d : tag_directives_) found = found || d.first == def.first;
      if (!found) tag_directives_.push_back(def);
    }
  }

  Node* new_node(Node::Kind kind) {
    nodes_.emplace_back();
    nodes_.back().kind = kind;
    return &nodes_.back();
  }

  Node* empty_scalar() {
    Node* n = new_node(Node::kScalar);
    n->tag = std::string(resolve_scalar("", true));
    n->complete = true;
    return n;
  }

  void register_anchor(const std::string& anchor, Node* n) {
    if (!anchor.empty()) anchors_[anchor] = n;
  }

  Node* parse_node(bool block, bool indentless, size_t depth) {
    const Token* t = &peek();
    if (t->type == TT::kAlias) {
      auto it = anchors_.find(t->value);
      if (it == anchors_.end()) fail();          // undefined alias
      if (!it->second->complete) fail();         // recursive structure
      ++pos_;
      return it->second;
    }
    std::string anchor;
    bool has_anchor = false, has_tag = false;
    std::string handle, suffix;
    if (t->type == TT::kAnchor) {
      anchor = t->value;
      has_anchor = true;
      ++pos_;
      t = &peek();
      if (t->type == TT::kTag) {
        has_tag = true;
        handle = t->handle;
        suffix = t->suffix;
        ++pos_;
        t = &peek();
      }
    } else if (t->type == TT::kTag) {
      has_tag = true;
      handle = t->handle;
      suffix = t->suffix;
      ++pos_;
      t = &peek();
      if (t->type == TT::kAnchor) {
        anchor = t->value;
        has_anchor = true;
        ++pos_;
        t = &peek();
      }
    }
    std::string tag;
    if (has_tag) {
      if (handle.empty()) {
        tag = suffix;
      } else {
        bool found = false;
        for (auto& d : tag_directives_) {
          if (d.first == handle) {
            tag = d.second + suffix;
            found = true;
            break;
          }
        }
        if (!found) fail();  // undefined tag handle
      }
    }
    // Anchors are checked for duplicates where the node starts (PyYAML).
    if (has_anchor && anchors_.count(anchor)) fail();
    bool implicit = !has_tag || tag.empty();
    bool nonspecific = !has_tag || tag == "!";
    if (indentless && t->type == TT::kBlockEntry) {
      Node* n = start_collection(Node::kSeq, tag, nonspecific, anchor, depth);
      parse_indentless_sequence(n, depth + 1);
      n->complete = true;
      return n;
    }
    if (t->type == TT::kScalar) {
      bool plain_implicit = (t->style == Style::kPlain && !has_tag) || (has_tag && tag == "!");
      Node* n = new_node(Node::kScalar);
      n->value = t->value;
      n->tag = nonspecific ? std::string(resolve_scalar(n->value, plain_implicit)) : tag;
      ++pos_;
      register_anchor(anchor, n);
      n->complete = true;
      return n;
    }
    if (t->type == TT::kFlowSequenceStart) {
      Node* n = start_collection(Node::kSeq, tag, nonspecific, anchor, depth);
      parse_flow_sequence(n, depth + 1);
      n->complete = true;
      return n;
    }
    if (t->type == TT::kFlowMappingStart) {
      Node* n = start_collection(Node::kMap, tag, nonspecific, anchor, depth);
      parse_flow_mapping(n, depth + 1);
      n->complete = true;
      return n;
    }
    if (block && t->type == TT::kBlockSequenceStart) {
      Node* n = start_collection(Node::kSeq, tag, nonspecific, anchor, depth);
      parse_block_sequence(n, depth + 1);
      n->complete = true;
      return n;
    }
    if (block && t->type == TT::kBlockMappingStart) {
      Node* n = start_collection(Node::kMap, tag, nonspecific, anchor, depth);
      parse_block_mapping(n, depth + 1);
      n->complete = true;
      return n;
    }
    if (has_anchor || has_tag) {
      Node* n = new_node(Node::kScalar);
      // Empty scalar: plain_implicit = implicit; a "!" tag still resolves,
      // but with implicit false, i.e. to str.
      n->tag = nonspecific ? std::string(resolve_scalar("", implicit)) : tag;
      register_anchor(anchor, n);
      n->complete = true;
      return n;
    }
    fail();
  }

  Node* start_collection(Node::Kind kind, const std::string& tag, bool nonspecific,
                         const std::string& anchor, size_t depth) {
    if (depth + 1 > kMaxYamlDepth) fail();
    Node* n = new_node(kind);
    n->tag = nonspecific ? std::string(kind == Node::kSeq ? kTagSeq : kTagMap) : tag;
    register_anchor(anchor, n);
    return n;
  }

  void parse_block_sequence(Node* n, size_t depth) {
    ++pos_;  // BLOCK-SEQUENCE-START
    for (;;) {
      TT t = peek().type;
      if (t == TT::kBlockEntry) {
        ++pos_;
        t = peek().type;
        if (t != TT::kBlockEntry && t != TT::kBlockEnd) {
          n->items.push_back(parse_node(true, false, depth));
        } else {
          n->items.push_back(empty_scalar());
        }
      } else if (t == TT::kBlockEnd) {
        ++pos_;
        return;
      } else {
        fail();
      }
    }
  }

  void parse_indentless_sequence(Node* n, size_t depth) {
    while (peek().type == TT::kBlockEntry) {
      ++pos_;
      TT t = peek().type;
      if (t != TT::kBlockEntry && t != TT::kKey && t != TT::kValue && t != TT::kBlockEnd) {
        n->items.push_back(parse_node(true, false, depth));
      } else {
        n->items.push_back(empty_scalar());
      }
    }
  }

  void parse_block_mapping(Node* n, size_t depth) {
    ++pos_;  // BLOCK-MAPPING-START
    for (;;) {
      TT t = peek().type;
      Node* key;
      if (t == TT::kKey) {
        ++pos_;
        t = peek().type;
        if (t != TT::kKey && t != TT::kValue && t != TT::kBlockEnd) {
          key = parse_node(true, true, depth);
        } else {
          key = empty_scalar();
        }
      } else if (t == TT::kBlockEnd) {
        ++pos_;
        return;
      } else {
        fail();
      }
      Node* value;
      t = peek().type;
      if (t == TT::kValue) {
        ++pos_;
        t = peek().type;
        if (t != TT::kKey && t != TT::kValue && t != TT::kBlockEnd) {
          value = parse_node(true, true, depth);
        } else {
          value = empty_scalar();
        }
      } else {
        value = empty_scalar();
      }
      n->pairs.emplace_back(key, value);
    }
  }

  void parse_flow_sequence(Node* n, size_t depth) {
    ++pos_;  // [
    bool first = true;
    for (;;) {
      TT t = peek().type;
      if (t != TT::kFlowSequenceEnd) {
        if (!first) {
          if (t != TT::kFlowEntry) fail();
          ++pos_;
          t = peek().type;
        }
        if (t == TT::kKey) {
          // A single-pair mapping inside a flow sequence.
          if (depth + 1 > kMaxYamlDepth) fail();
          ++pos_;
          Node* m = new_node(Node::kMap);
          m->tag = std::string(kTagMap);
          Node* key;
          t = peek().type;
          if (t != TT::kValue && t != TT::kFlowEntry && t != TT::kFlowSequenceEnd) {
            key = parse_node(false, false, depth + 1);
          } else if (t == TT::kFlowSequenceEnd) {
            // `[?]`: libyaml 0.2.5, inside PyYAML 6.0.1 (what Salt 3006's
            // onedir ships and scripts/salt-requirements.txt pins), rejects it;
            // newer libyaml reads [{null: null}].
            fail();
          } else {
            ++pos_;  // libyaml consumes a VALUE or ',' here
            key = empty_scalar();
          }
          Node* value;
          t = peek().type;
          if (t == TT::kValue) {
            ++pos_;
            t = peek().type;
            if (t != TT::kFlowEntry && t != TT::kFlowSequenceEnd) {
              value = parse_node(false, false, depth + 1);
            } else {
              value = empty_scalar();
            }
          } else {
            value = empty_scalar();
          }
          m->pairs.emplace_back(key, value);
          m->complete = true;
          n->items.push_back(m);
          first = false;
          continue;
        }
        if (t != TT::kFlowSequenceEnd) {
          n->items.push_back(parse_node(false, false, depth));
          first = false;
          continue;
        }
      }
      ++pos_;  // ]
      return;
    }
  }

  void parse_flow_mapping(Node* n, size_t depth) {
    ++pos_;  // {
    bool first = true;
    for (;;) {
      TT t = peek().type;
      if (t != TT::kFlowMappingEnd) {
        if (!first) {
          if (t != TT::kFlowEntry) fail();
          ++pos_;
          t = peek().type;
        }
        if (t == TT::kKey) {
          ++pos_;
          t = peek().type;
          Node* key;
          if (t != TT::kValue && t != TT::kFlowEntry && t != TT::kFlowMappingEnd) {
            key = parse_node(false, false, depth);
          } else {
            key = empty_scalar();
          }
          Node* value;
          t = peek().type;
          if (t == TT::kValue) {
            ++pos_;
            t = peek().type;
            if (t != TT::kFlowEntry && t != TT::kFlowMappingEnd) {
              value = parse_node(false, false, depth);
            } else {
              value = empty_scalar();
            }
          } else {
            value = empty_scalar();
          }
          n->pairs.emplace_back(key, value);
          first = false;
          continue;
        }
        if (t != TT::kFlowMappingEnd) {
          Node* key = parse_node(false, false, depth);
          n->pairs.emplace_back(key, empty_scalar());
          first = false;
          continue;
        }
      }
      ++pos_;  // }
      return;
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::deque<Node> nodes_;
  std::unordered_map<std::string, Node*> anchors_;
  std::vector<std::pair<std::string, std::string>> tag_directives_;

 public:
  // Keeps the nodes alive for the constructor.
  std::deque<Node>& nodes() { return nodes_; }
};

// ---------------------------------------------------------------------------
// Constructor: SafeConstructor + SaltYamlSafeLoader, producing Values.

enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kSet, kDict };

struct Obj {
  Kind kind = Kind::kNone;
  Value value;
  size_t size = 1;        // nodes in value, for the expansion budget
  std::string int_text;   // kInt: decimal text (for key comparison)
};

std::string exact_integral_decimal(double d) {
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.0f", d);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

std::string json_key_text(const Obj& k) {
  switch (k.kind) {
    case Kind::kNone: return "null";
    case Kind::kBool: return k.value.as_bool() ? "true" : "false";
    case Kind::kInt: return k.int_text;
    case Kind::kFloat: {
      double d = k.value.as_double();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      return python_float_repr(d);
    }
    case Kind::kStr: return k.value.as_string();
    case Kind::kBytes: return k.value.as_bytes().data;
    default: fail();
  }
}

class Constructor {
 public:
  Obj construct(Node* n, size_t depth) {
    if (depth > kMaxYamlDepth) fail();
    auto it = cache_.find(n);
    Obj r;
    if (it != cache_.end()) {
      r = it->second;
      budget_ += r.size;  // an alias: a full copy of the value
    } else {
      r = construct_uncached(n, depth);
      cache_[n] = r;
      budget_ += 1;  // children were counted by their own construct()
    }
    if (budget_ > kMaxYamlValues) fail();
    return r;
  }

 private:
  // BaseConstructor/SafeConstructor.construct_scalar.
  std::string scalar_text(Node* n, size_t depth = 0) {
    if (depth > kMaxYamlDepth) fail();
    if (n->kind == Node::kScalar) return n->value;
    if (n->kind == Node::kMap) {
      for (auto& [k, v] : n->pairs) {
        if (k->tag == kTagValue) return scalar_text(v, depth + 1);
      }
    }
    fail();
  }

  static Obj make_int(const BigInt& b) {
    Obj o;
    o.kind = Kind::kInt;
    o.int_text = b.to_decimal();
    int64_t v;
    if (b.to_int64(v)) {
      o.value = Value(v);
    } else {
      o.value = Value(o.int_text);
    }
    return o;
  }

  Obj construct_int(Node* n) {
    if (n->kind != Node::kScalar) fail();
    // SaltYamlSafeLoader.construct_scalar: leading zeros are not octal.
    std::string& nv = n->value;
    if (nv != "0" && !nv.empty() && nv[0] == '0' && nv.rfind("0b", 0) != 0 &&
        nv.rfind("0x", 0) != 0) {
      size_t k = nv.find_first_not_of('0');
      nv = k == std::string::npos ? "0" : nv.substr(k);
    }
    std::string v;
    for (char c : nv) {
      if (c != '_') v.push_back(c);
    }
    if (v.empty()) fail();
    bool neg = v[0] == '-';
    if (v[0] == '+' || v[0] == '-') v.erase(0, 1);
    std::optional<BigInt> r;
    if (v == "0") {
      r = BigInt();
    } else if (v.rfind("0b", 0) == 0) {
      r = py_int(std::string_view(v).substr(2), 2);
    } else if (v.rfind("0x", 0) == 0) {
      r = py_int(std::string_view(v).substr(2), 16);
    } else if (v.empty()) {
      fail();
    } else if (v[0] == '0') {
      r = py_int(v, 8);
    } else if (v.find(':') != std::string::npos) {
      std::vector<std::string> parts;
      size_t start = 0;
      for (;;) {
        size_t c = v.find(':', start);
        parts.push_back(v.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) break;
        start = c + 1;
      }
      BigInt total, base;
      base.mul_add(1, 1);
      for (size_t i = parts.size(); i-- > 0;) {
        auto d = py_int(parts[i], 10);
        if (!d) fail();
        total.add(d->times(base));
        base = base.times_small(60);
        if (base.decimal_digits() > 100000) fail();
      }
      r = total;
    } else {
      r = py_int(v, 10);
    }
    if (!r) fail();
    if (neg) r->negate();
    if (r->decimal_digits() > kPyMaxStrDigits) fail();  // str() of it raises in Python
    return make_int(*r);
  }

  Obj construct_float(Node* n) {
    std::string raw = scalar_text(n);
    std::string v;
    for (char c : raw) {
      if (c == '_') continue;
      v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (v.empty()) fail();
    double sign = 1;
    if (v[0] == '-') sign = -1;
    if (v[0] == '+' || v[0] == '-') v.erase(0, 1);
    double result;
    if (v == ".inf") {
      result = sign * std::numeric_limits<double>::infinity();
    } else if (v == ".nan") {
      result = std::numeric_limits<double>::quiet_NaN();
    } else if (v.find(':') != std::string::npos) {
      std::vector<double> digits;
      size_t start = 0;
      for (;;) {
        size_t c = v.find(':', start);
        auto d = py_float(std::string_view(v).substr(
            start, c == std::string::npos ? std::string::npos : c - start));
        if (!d) fail();
        digits.push_back(*d);
        if (c == std::string::npos) break;
        start = c + 1;
      }
      double base = 1, value = 0.0;
      for (size_t i = digits.size(); i-- > 0;) {
        value += digits[i] * base;
        base *= 60;
      }
      result = sign * value;
    } else {
      auto d = py_float(v);
      if (!d) fail();
      result = sign * *d;
    }
    Obj o;
    o.kind = Kind::kFloat;
    o.value = Value(result);
    return o;
  }

  Obj construct_bool(Node* n) {
    std::string v = scalar_text(n);
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Obj o;
    o.kind = Kind::kBool;
    if (v == "yes" || v == "true" || v == "on") {
      o.value = Value(true);
    } else if (v == "no" || v == "false" || v == "off") {
      o.value = Value(false);
    } else {
      fail();
    }
    return o;
  }

  Obj construct_binary(Node* n) {
    std::string v = scalar_text(n);
    for (unsigned char c : v) {
      if (c >= 0x80) fail();  // value.encode('ascii')
    }
    // binascii.a2b_base64 (Python 3.10, non-strict).
    auto val = [](unsigned char c) -> int {
      if (c >= 'A' && c <= 'Z') return c - 'A';
      if (c >= 'a' && c <= 'z') return c - 'a' + 26;
      if (c >= '0' && c <= '9') return c - '0' + 52;
      if (c == '+') return 62;
      if (c == '/') return 63;
      return -1;
    };
    std::string out;
    int quad_pos = 0, pads = 0;
    unsigned leftchar = 0;
    bool done = false;
    for (unsigned char c : v) {
      if (c == '=') {
        if (quad_pos >= 2 && quad_pos + ++pads >= 4) {
          done = true;
          break;
        }
        continue;
      }
      int x = val(c);
      if (x < 0) continue;
      pads = 0;
      unsigned ux = static_cast<unsigned>(x);
      switch (quad_pos) {
        case 0:
          quad_pos = 1;
          leftchar = ux;
          break;
        case 1:
          quad_pos = 2;
          out.push_back(static_cast<char>(((leftchar << 2) | (ux >> 4)) & 0xFF));
          leftchar = ux & 0x0F;
          break;
        case 2:
          quad_pos = 3;
          out.push_back(static_cast<char>(((leftchar << 4) | (ux >> 2)) & 0xFF));
          leftchar = ux & 0x03;
          break;
        default:
          quad_pos = 0;
          out.push_back(static_cast<char>(((leftchar << 6) | ux) & 0xFF));
          leftchar = 0;
          break;
      }
    }
    if (!done && quad_pos != 0) fail();
    Obj o;
    o.kind = Kind::kBytes;
    o.value = Value(Bytes{std::move(out)});
    return o;
  }

  // Key identity with Python's == semantics (1 == 1.0 == True).
  static std::string key_identity(const Obj& k, size_t& nan_counter) {
    switch (k.kind) {
      case Kind::kNone: return "N";
      case Kind::kBool: return k.value.as_bool() ? "i:1" : "i:0";
      case Kind::kInt: return "i:" + k.int_text;
      case Kind::kFloat: {
        double d = k.value.as_double();
        if (std::isnan(d)) return "nan:" + std::to_string(nan_counter++);
        if (std::isinf(d)) return d > 0 ? "f:inf" : "f:-inf";
        if (d == std::floor(d)) return "i:" + exact_integral_decimal(d);
        return "f:" + python_float_repr(d);
      }
      case Kind::kStr: return "s:" + k.value.as_string();
      case Kind::kBytes: return "b:" + k.value.as_bytes().data;
      default: fail();  // unhashable
    }
  }

  void flatten_mapping(Node* n, size_t depth) {
    if (depth > kMaxYamlDepth) fail();
    std::vector<std::pair<Node*, Node*>> merge;
    size_t index = 0;
    while (index < n->pairs.size()) {
      auto [k, v] = n->pairs[index];
      if (k->tag == kTagMerge) {
        n->pairs.erase(n->pairs.begin() + static_cast<ptrdiff_t>(index));
        if (v->kind == Node::kMap) {
          flatten_mapping(v, depth + 1);
          merge.insert(merge.end(), v->pairs.begin(), v->pairs.end());
        } else if (v->kind == Node::kSeq) {
          std::vector<Node*> sub;
          for (Node* s : v->items) {
            if (s->kind != Node::kMap) fail();
            flatten_mapping(s, depth + 1);
            sub.push_back(s);
          }
          for (size_t i = sub.size(); i-- > 0;) {
            merge.insert(merge.end(), sub[i]->pairs.begin(), sub[i]->pairs.end());
          }
        } else {
          fail();
        }
      } else if (k->tag == kTagValue) {
        k->tag = std::string(kTagStr);
        ++index;
      } else {
        ++index;
      }
    }
    if (!merge.empty()) {
      // existing_nodes compares node.value: text for scalars, identity for
      // collections.
      auto same_key = [](Node* a, Node* b) {
        if (a->kind == Node::kScalar && b->kind == Node::kScalar) return a->value == b->value;
        if (a->kind == Node::kScalar || b->kind == Node::kScalar) return false;
        return a == b;
      };
      std::vector<std::pair<Node*, Node*>> result;
      for (auto& m : merge) {
        bool exists = false;
        for (auto& e : n->pairs) {
          if (same_key(m.first, e.first)) {
            exists = true;
            break;
          }
        }
        if (!exists) result.push_back(m);
      }
      result.insert(result.end(), n->pairs.begin(), n->pairs.end());
      n->pairs = std::move(result);
    }
  }

  // SaltYamlSafeLoader.construct_mapping.
  std::vector<std::pair<Obj, Obj>> construct_mapping(Node* n, size_t depth) {
    if (n->kind != Node::kMap) fail();
    flatten_mapping(n, 0);
    std::vector<std::pair<Obj, Obj>> out;
    std::unordered_set<std::string> seen;
    size_t nan_counter = 0;
    for (auto& [kn, vn] : n->pairs) {
      Obj key = construct(kn, depth + 1);
      if (key.kind == Kind::kList || key.kind == Kind::kSet || key.kind == Kind::kDict) fail();
      Obj value = construct(vn, depth + 1);
      if (!seen.insert(key_identity(key, nan_counter)).second) fail();  // conflicting ID
      out.emplace_back(std::move(key), std::move(value));
    }
    return out;
  }

  Obj construct_uncached(Node* n, size_t depth) {
    const std::string& tag = n->tag;
    Obj o;
    if (tag == kTagNull) {
      scalar_text(n);
      o.kind = Kind::kNone;
      return o;
    }
    if (tag == kTagBool) return construct_bool(n);
    if (tag == kTagInt) return construct_int(n);
    if (tag == kTagFloat) return construct_float(n);
    if (tag == kTagStr || tag == kTagTimestamp) {
      o.kind = Kind::kStr;
      o.value = Value(scalar_text(n));
      return o;
    }
    if (tag == kTagPyUnicode) {
      if (n->kind != Node::kScalar) fail();
      o.kind = Kind::kStr;
      o.value = Value(n->value);
      return o;
    }
    if (tag == kTagBinary) return construct_binary(n);
    if (tag == kTagSeq) {
      if (n->kind != Node::kSeq) fail();
      List l;
      for (Node* c : n->items) {
        Obj e = construct(c, depth + 1);
        o.size += e.size;
        l.push_back(std::move(e.value));
      }
      o.kind = Kind::kList;
      o.value = Value(std::move(l));
      return o;
    }
    if (tag == kTagOmap || tag == kTagPairs) {
      if (n->kind != Node::kSeq) fail();
      List l;
      for (Node* c : n->items) {
        if (c->kind != Node::kMap || c->pairs.size() != 1) fail();
        Obj k = construct(c->pairs[0].first, depth + 2);
        Obj v = construct(c->pairs[0].second, depth + 2);
        o.size += 1 + k.size + v.size;
        l.push_back(Value(List{std::move(k.value), std::move(v.value)}));
      }
      o.kind = Kind::kList;
      o.value = Value(std::move(l));
      return o;
    }
    if (tag == kTagSet) {
      auto pairs = construct_mapping(n, depth);
      List l;
      for (auto& [k, v] : pairs) {
        o.size += k.size;
        l.push_back(std::move(k.value));
      }
      o.kind = Kind::kSet;
      o.value = Value(std::move(l));
      return o;
    }
    if (tag == kTagMap) {
      auto pairs = construct_mapping(n, depth);
      Map m;
      for (auto& [k, v] : pairs) {
        o.size += v.size;
        m[json_key_text(k)] = std::move(v.value);
      }
      o.kind = Kind::kDict;
      o.value = Value(std::move(m));
      return o;
    }
    fail();  // merge/value/yaml tags, unknown tags
  }

  std::unordered_map<Node*, Obj> cache_;
  size_t budget_ = 0;
};

// yaml.load(word, Loader=SaltYamlSafeLoader); nullopt when it raises.
std::optional<Obj> yaml_load(std::string_view word) {
  try {
    std::u32string text;
    if (!utf8_decode(word, text)) return std::nullopt;
    // libyaml's reader: a leading BOM selects the encoding and is dropped,
    // and only printable characters are accepted.
    if (!text.empty() && text[0] == 0xFEFF) text.erase(0, 1);
    for (char32_t c : text) {
      bool ok = c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
                (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
                (c >= 0x10000 && c <= 0x10FFFF);
      if (!ok) return std::nullopt;
    }
    Scanner scanner(std::move(text));
    Composer composer(scanner.scan_all());
    Node* root = composer.compose();
    if (!root) return Obj{};
    Constructor constructor;
    return constructor.construct(root, 0);
  } catch (const YamlError&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// Salt's yamlify_arg.

Value yamlify_impl(std::string_view word) {
  std::u32string u;
  if (!utf8_decode(word, u)) return Value(std::string(word));  // not text: keep
  std::u32string_view stripped = py_strip(u);
  if (stripped.empty() || stripped == U"---" || stripped == U"...") return Value(std::string(word));
  if (word.find('_') != std::string_view::npos) {
    bool all = true;
    for (char32_t c : stripped) {
      if (!((c >= U'0' && c <= U'9') || c == U'_')) {
        all = false;
        break;
      }
    }
    if (all) return Value(std::string(word));
  }
  if (word.find_first_of("\t\r\n") != std::string_view::npos) return Value(std::string(word));
  if (word.find('#') != std::string_view::npos) {
    auto parsed = yaml_load(word);
    if (!parsed || parsed->kind == Kind::kStr || parsed->kind == Kind::kNone) {
      return Value(std::string(word));
    }
    return std::move(parsed->value);
  }
  if (word == "None") return Value(nullptr);
  auto parsed = yaml_load(word);
  if (!parsed) return Value(std::string(word));
  switch (parsed->kind) {
    case Kind::kDict:
      if (word.empty() || word[0] != '{') return Value(std::string(word));
      return std::move(parsed->value);
    case Kind::kList:
      if (word.empty() || word[0] != '[') return Value(std::string(word));
      return std::move(parsed->value);
    case Kind::kNone:
      if (word == "!") return Value(std::string(word));
      return Value(nullptr);
    case Kind::kStr:
      if (parsed->value.as_string().empty() && (word == "|" || word == "!")) {
        return Value(std::string(word));
      }
      return std::move(parsed->value);
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
      return std::move(parsed->value);
    default:
      return Value(std::string(word));  // bytes, set: "we don't support this type"
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API.

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.erase(0, 1);
  }
  size_t epos = s.find('e');
  std::string mant = s.substr(0, epos);
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int decpt = exp + 1;
  std::string out = neg ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(decpt) - digits.size(), '0');
    out += ".0";
  } else {
    out += digits.substr(0, static_cast<size_t>(decpt));
    out += '.';
    out += digits.substr(static_cast<size_t>(decpt));
  }
  return out;
}

Result<std::vector<std::string>> shell_split(std::string_view command) {
  // Python's shlex in POSIX mode with whitespace_split=True, commenters=''.
  // All special characters are ASCII, so working on UTF-8 bytes is exact.
  std::vector<std::string> words;
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0, n = command.size();
  for (;;) {
    while (i < n && is_ws(command[i])) ++i;
    if (i >= n) break;
    std::string token;
    bool quoted = false;
    while (i < n && !is_ws(command[i])) {
      char c = command[i];
      if (c == '\'' || c == '"') {
        quoted = true;
        char q = c;
        ++i;
        for (;;) {
          if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No closing quotation");
          char d = command[i];
          if (d == q) {
            ++i;
            break;
          }
          if (q == '"' && d == '\\') {
            ++i;
            if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No escaped character");
            char e = command[i];
            if (e != '\\' && e != '"') token.push_back('\\');
            token.push_back(e);
            ++i;
            continue;
          }
          token.push_back(d);
          ++i;
        }
      } else if (c == '\\') {
        ++i;
        if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No escaped character");
        token.push_back(command[i]);
        ++i;
      } else {
        token.push_back(c);
        ++i;
      }
    }
    if (!token.empty() || quoted) words.push_back(std::move(token));
  }
  return words;
}

Value yamlify_arg(std::string_view word) {
  try {
    return yamlify_impl(word);
  } catch (...) {
    return Value(std::string(word));
  }
}

std::optional<std::pair<std::string, std::string>> parse_kwarg(std::string_view word) {
  std::u32string u;
  if (!utf8_decode(word, u)) return std::nullopt;
  if (u.empty()) return std::nullopt;
  char32_t first = u[0];
  if (!is_py_word(first) || py_decimal_value(first) >= 0) return std::nullopt;
  size_t i = 1;
  while (i < u.size() && (is_py_word(u[i]) || u[i] == U'.' || u[i] == U'-')) ++i;
  if (i >= u.size() || u[i] != U'=') return std::nullopt;
  if (i + 1 < u.size() && u[i + 1] == U'=') return std::nullopt;
  // (.*)$ : no newline inside the value, except one final newline, which
  // `$` matches before (and which is then not part of the value).
  std::u32string_view rest = std::u32string_view(u).substr(i + 1);
  if (!rest.empty() && rest.back() == U'\n') rest.remove_suffix(1);
  if (rest.find(U'\n') != std::u32string_view::npos) return std::nullopt;
  std::string name, value;
  for (size_t k = 0; k < i; ++k) utf8_append(name, u[k]);
  for (char32_t c : rest) utf8_append(value, c);
  return std::make_pair(std::move(name), std::move(value));
}

ParsedArgs parse_cli_args(const std::vector<std::string>& words) {
  ParsedArgs out;
  for (const auto& w : words) {
    if (auto kw = parse_kwarg(w)) {
      out.kwargs[kw->first] = yamlify_arg(kw->second);
    } else {
      out.args.push_back(yamlify_arg(w));
    }
  }
  return out;
}

ParsedArgs parse_cli_values(const List& items) {
  ParsedArgs out;
  for (const auto& item : items) {
    if (item.is_string()) {
      const std::string& w = item.as_string();
      if (auto kw = parse_kwarg(w)) {
        out.kwargs[kw->first] = yamlify_arg(kw->second);
      } else {
        out.args.push_back(yamlify_arg(w));
      }
    } else if (item.is_map() && item.find("__kwarg__")) {
      Map m = item.as_map();
      const Value* flag = item.find("__kwarg__");
      bool is_kwarg = flag->is_bool() && flag->as_bool();
      m.erase(m.find("__kwarg__"));
      if (is_kwarg) {
        for (auto& [k, v] : m) out.kwargs[k] = std::move(v);
      } else {
        out.args.push_back(Value(std::move(m)));
      }
    } else {
      out.args.push_back(item);
    }
  }
  return out;
}

}  // namespace saltgw::salt_ipc
