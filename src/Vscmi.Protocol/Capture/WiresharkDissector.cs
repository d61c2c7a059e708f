using System.Globalization;
using System.Text;
using Vscmi.Protocol.Protocols;
using Vscmi.Protocol.Schema;

namespace Vscmi.Protocol.Capture;

/// <summary>
/// Writes the Wireshark dissector for vscmi's pcapng traces (<c>vscmi dissector</c>;
/// docs/wireshark/vscmi.lua) from the catalog: the same one description per message that the
/// codec, the formatter and the platform use, so every field Wireshark shows is the field vscmi
/// decodes. The packets are SCMI messages on LINKTYPE_USER0; the direction comes from epb_flags.
/// </summary>
/// <remarks>
/// Each message is dissected with the layouts of the newest protocol version (a trace does not
/// carry the negotiated one). A field is named <c>vscmi.NAME</c>; where one name has two shapes
/// in the catalog (a number here, a string there) the second is <c>vscmi.NAME_KIND</c>.
/// </remarks>
public static class WiresharkDissector
{
    /// <summary>The dissector's Lua source.</summary>
    public static string Generate()
    {
        var generator = new Generator();
        return generator.Run();
    }

    private sealed class Generator
    {
        private readonly StringBuilder _functions = new();
        private readonly Dictionary<Layout, string> _layoutFunctions = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<(string Name, string Type), string> _fields = [];
        private readonly Dictionary<string, string> _firstType = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Name, string Type), bool> _allHex = [];
        private readonly List<(string Name, string Type)> _fieldOrder = [];

        public string Run()
        {
            var dispatch = new StringBuilder();
            foreach (var protocol in ScmiCatalog.Protocols)
            {
                var id = (byte)protocol.Id;
                dispatch.Append(CultureInfo.InvariantCulture, $"protocols[{id}] = \"{protocol.ShortName}\"\n");
                foreach (var message in protocol.Messages.OrderBy(m => m.Id))
                {
                    var delayed = message.DelayedResponse is { } d ? Function(d) : "nil";
                    dispatch.Append(CultureInfo.InvariantCulture,
                        $"commands[{Key(id, message.Id)}] = {{ name = \"{message.Name}\", request = {Function(message.Request)}, response = {Function(message.Response)}, delayed = {delayed} }}\n");
                }

                foreach (var notification in protocol.Notifications.OrderBy(n => n.Id))
                {
                    dispatch.Append(CultureInfo.InvariantCulture,
                        $"notifications[{Key(id, notification.Id)}] = {{ name = \"{notification.Name}\", payload = {Function(notification.Payload)} }}\n");
                }
            }

            var text = new StringBuilder();
            text.Append(Preamble);
            foreach (var key in _fieldOrder)
            {
                var (name, type) = key;
                var baseName = type is "string" ? "base.ASCII" : _allHex[key] ? "base.HEX" : "base.DEC";
                var protoField = type switch
                {
                    "string" => $"ProtoField.string(\"{Abbrev(key)}\", \"{name}\")",
                    _ => $"ProtoField.{type}(\"{Abbrev(key)}\", \"{name}\", {baseName})",
                };
                text.Append(CultureInfo.InvariantCulture, $"F[\"{Abbrev(key)}\"] = {protoField}\n");
            }

            text.Append("for _, field in pairs(F) do table.insert(vscmi.fields, field) end\n\n");
            text.Append(_functions);
            text.Append('\n').Append(dispatch).Append(Main);
            return text.ToString();
        }

        private static int Key(byte protocol, byte message) => (protocol * 256) + message;

        private string Abbrev((string Name, string Type) key) => _fields[key];

        private string Field(string name, string type, NumberDisplay display)
        {
            var key = (name, type);
            if (!_fields.TryGetValue(key, out var abbrev))
            {
                abbrev = _firstType.TryGetValue(name, out var first) && first != type ? $"vscmi.{name}_{type}" : $"vscmi.{name}";
                _firstType.TryAdd(name, type);
                _fields[key] = abbrev;
                _allHex[key] = true;
                _fieldOrder.Add(key);
            }

            _allHex[key] &= display == NumberDisplay.Hex;
            return abbrev;
        }

        private string Function(Layout layout)
        {
            if (_layoutFunctions.TryGetValue(layout, out var existing))
                return existing;
            var name = $"layout_{_layoutFunctions.Count}";
            _layoutFunctions[layout] = name;
            var body = new StringBuilder();
            Emit(body, layout, "  ");
            _functions.Append(CultureInfo.InvariantCulture, $"local function {name}(buf, tree, off, vals, len)\n{body}  return off\nend\n\n");
            return name;
        }

        private void Emit(StringBuilder lua, Layout layout, string indent)
        {
            foreach (var field in layout.Fields)
            {
                switch (field)
                {
                    case NumberSpec number:
                        EmitNumber(lua, indent, number.Name, number.Bits, number.Signed, number.Display, number.Values, "tree", store: true);
                        break;
                    case NameSpec text:
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}if off + {text.Size} > len then return truncated(tree, off) end\n");
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}tree:add(F[\"{Field(text.Name, "string", NumberDisplay.Decimal)}\"], buf(off, {text.Size}), buf(off, {text.Size}):stringz())\n");
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}off = off + {text.Size}\n");
                        break;
                    case BitsSpec bits:
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}if off + 4 > len then return truncated(tree, off) end\n");
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}do\n{indent}  local word = buf(off, 4):le_uint()\n");
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}  local sub = tree:add(F[\"{Field(bits.Name, "uint32", NumberDisplay.Hex)}\"], buf(off, 4), word)\n");
                        foreach (var sub in bits.Fields)
                        {
                            var type = sub.Signed ? "int32" : "uint32";
                            lua.Append(CultureInfo.InvariantCulture, $"{indent}  local v = bits(word, {sub.Low}, {sub.Width}, {(sub.Signed ? "true" : "false")})\n");
                            lua.Append(CultureInfo.InvariantCulture, $"{indent}  vals[\"{sub.Name}\"] = v\n");
                            lua.Append(CultureInfo.InvariantCulture, $"{indent}  {Named($"sub:add(F[\"{Field(sub.Name, type, sub.Display)}\"], buf(off, 4), v)", sub.Values, "v")}\n");
                        }

                        lua.Append(CultureInfo.InvariantCulture, $"{indent}end\n{indent}off = off + 4\n");
                        break;
                    case ArraySpec array:
                        EmitArray(lua, indent, array);
                        break;
                    case ConditionalSpec conditional:
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}if {Condition(conditional.Condition)} then\n");
                        Emit(lua, conditional.Fields, indent + "  ");
                        lua.Append(CultureInfo.InvariantCulture, $"{indent}end\n");
                        break;
                }
            }
        }

        private void EmitNumber(StringBuilder lua, string indent, string name, int bits, bool signed, NumberDisplay display, ValueNames? values, string tree, bool store)
        {
            var size = bits / 8;
            var type = (signed ? "int" : "uint") + bits.ToString(CultureInfo.InvariantCulture);
            var read = bits == 64 ? (signed ? "le_int64" : "le_uint64") : (signed ? "le_int" : "le_uint");
            lua.Append(CultureInfo.InvariantCulture, $"{indent}if off + {size} > len then return truncated({tree}, off) end\n");
            lua.Append(CultureInfo.InvariantCulture, $"{indent}do\n{indent}  local v = buf(off, {size}):{read}()\n");
            if (store)
                lua.Append(CultureInfo.InvariantCulture, $"{indent}  vals[\"{name}\"] = {(bits == 64 ? "v:tonumber()" : "v")}\n");
            lua.Append(CultureInfo.InvariantCulture, $"{indent}  {Named($"{tree}:add(F[\"{Field(name, type, display)}\"], buf(off, {size}), v)", values, bits == 64 ? "v:tonumber()" : "v")}\n");
            lua.Append(CultureInfo.InvariantCulture, $"{indent}end\n{indent}off = off + {size}\n");
        }

        private static string Named(string add, ValueNames? values, string value)
        {
            if (values is null || values.Names.Count == 0)
                return add;
            var table = string.Join(", ", values.Names.OrderBy(n => n.Key).Select(n => $"[{n.Key}] = \"{n.Value}\""));
            return $"{add}:append_text(named({{ {table} }}, {value}))";
        }

        private void EmitArray(StringBuilder lua, string indent, ArraySpec array)
        {
            var count = array.CountField is { } field ? $"(vals[\"{field}\"] or 0)" : $"math.floor((len - off) / {array.ElementSize})";
            lua.Append(CultureInfo.InvariantCulture, $"{indent}do\n{indent}  local n = {count}\n");
            lua.Append(CultureInfo.InvariantCulture, $"{indent}  local list = tree:add(buf(off, 0), \"{array.Name} (\" .. n .. \")\")\n");
            var inner = indent + "    ";
            switch (array.Kind)
            {
                case ElementKind.Record:
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  for i = 1, n do\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}local entry = list:add(buf(math.min(off, len), 0), \"{array.Name}[\" .. (i - 1) .. \"]\")\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}off = {Function(array.Entry!)}(buf, entry, off, {{}}, len)\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}if off < 0 then return off end\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  end\n");
                    break;
                case ElementKind.U8PackedPadded:
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  for i = 1, n do\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}if off + 1 > len then return truncated(list, off) end\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}list:add(F[\"{Field(array.Name, "uint8", array.Display)}\"], buf(off, 1), buf(off, 1):le_uint())\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}off = off + 1\n{indent}  end\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  off = off + (4 - n % 4) % 4\n");
                    break;
                case ElementKind.U16Packed:
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  for i = 1, n do\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}if off + 2 > len then return truncated(list, off) end\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}list:add(F[\"{Field(array.Name, "uint16", array.Display)}\"], buf(off, 2), buf(off, 2):le_uint())\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{inner}off = off + 2\n{indent}  end\n");
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  if n % 2 == 1 and len - off == 2 then off = off + 2 end\n");
                    break;
                default:
                    var (bits, signed) = array.Kind switch
                    {
                        ElementKind.U64 => (64, false),
                        ElementKind.S32 => (32, true),
                        _ => (32, false),
                    };
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  for i = 1, n do\n");
                    EmitNumber(lua, inner, array.Name, bits, signed, array.Display, null, "list", store: false);
                    lua.Append(CultureInfo.InvariantCulture, $"{indent}  end\n");
                    break;
            }

            lua.Append(CultureInfo.InvariantCulture, $"{indent}end\n");
        }

        private static string Condition(FieldCondition condition) => condition switch
        {
            FieldCondition.Equal equal => $"(vals[\"{equal.Field}\"] or 0) == {equal.Value}",
            FieldCondition.Combined combined => "(" + string.Join(combined.IsAll ? " and " : " or ", combined.Parts.Select(Condition)) + ")",
            _ => throw new NotSupportedException($"condition {condition.GetType().Name}"),
        };
    }

    private const string Preamble = """
        -- Wireshark dissector for vscmi traces (pcapng, LINKTYPE_USER0): SCMI messages, header then payload.
        -- Generated by `vscmi dissector` from the message descriptions in Vscmi.Protocol; do not edit.
        -- Use: wireshark -X lua_script:vscmi.lua trace.pcapng   (or copy it to ~/.local/lib/wireshark/plugins/)

        local vscmi = Proto("vscmi", "SCMI (System Control and Management Interface)")
        local F = {}
        F.header = ProtoField.uint32("vscmi.header", "Header", base.HEX)
        F.message_id = ProtoField.uint32("vscmi.message_id", "Message id", base.HEX)
        F.type = ProtoField.uint32("vscmi.type", "Type", base.DEC, { [0] = "command", [1] = "reserved", [2] = "delayed response", [3] = "notification" })
        F.protocol_id = ProtoField.uint32("vscmi.protocol_id", "Protocol id", base.HEX)
        F.token = ProtoField.uint32("vscmi.token", "Token", base.DEC)
        F.protocol = ProtoField.string("vscmi.protocol", "Protocol")
        F.message = ProtoField.string("vscmi.message", "Message")
        F.kind = ProtoField.string("vscmi.kind", "Kind")
        F.status = ProtoField.int32("vscmi.status", "Status", base.DEC, {
          [0] = "SUCCESS", [-1] = "NOT_SUPPORTED", [-2] = "INVALID_PARAMETERS", [-3] = "DENIED", [-4] = "NOT_FOUND",
          [-5] = "OUT_OF_RANGE", [-6] = "BUSY", [-7] = "COMMS_ERROR", [-8] = "GENERIC_ERROR", [-9] = "HARDWARE_ERROR",
          [-10] = "PROTOCOL_ERROR", [-11] = "IN_USE" })
        F.extra = ProtoField.bytes("vscmi.extra", "Bytes after the last field")

        local direction_field = Field.new("frame.packet_flags_direction")
        local protocols, commands, notifications = {}, {}, {}

        local function bits(word, low, width, signed)
          local v = bit.band(bit.rshift(word, low), 2 ^ width - 1)
          if v < 0 then v = v + 4294967296 end
          if signed and v >= 2 ^ (width - 1) then v = v - 2 ^ width end
          return v
        end

        local function named(names, v)
          local name = names[v]
          return name and (" (" .. name .. ")") or ""
        end

        local function truncated(tree, off)
          tree:append_text(" [truncated at byte " .. off .. "]")
          return -1
        end


        """;

    private const string Main = """

        function vscmi.dissector(buf, pinfo, tree)
          local len = buf:len()
          if len < 4 then return 0 end
          pinfo.cols.protocol = "SCMI"
          local header = buf(0, 4):le_uint()
          local message_id = bit.band(header, 0xFF)
          local kind_bits = bit.band(bit.rshift(header, 8), 0x3)
          local protocol_id = bit.band(bit.rshift(header, 10), 0xFF)
          local token = bit.band(bit.rshift(header, 18), 0x3FF)
          local direction = direction_field()
          local outbound = direction ~= nil and direction.value == 2
          local key = protocol_id * 256 + message_id
          local root = tree:add(vscmi, buf())
          local h = root:add(F.header, buf(0, 4), header)
          h:add(F.message_id, buf(0, 4), message_id)
          h:add(F.type, buf(0, 4), kind_bits)
          h:add(F.protocol_id, buf(0, 4), protocol_id)
          h:add(F.token, buf(0, 4), token)
          local protocol_name = protocols[protocol_id] or string.format("0x%02X", protocol_id)
          root:add(F.protocol, buf(0, 4), protocol_name)
          local kind, name, layout, off = "command", nil, nil, 4
          local spec = commands[key]
          if kind_bits == 3 then
            kind = "notification"
            spec = notifications[key]
            name = spec and spec.name
            layout = spec and spec.payload
          elseif kind_bits == 2 or (kind_bits == 0 and outbound) then
            kind = kind_bits == 2 and "delayed response" or "response"
            name = spec and spec.name
            if len >= 8 then
              local status = buf(4, 4):le_int()
              root:add(F.status, buf(4, 4), status)
              off = 8
              if status == 0 and spec then layout = kind_bits == 2 and spec.delayed or spec.response end
            end
          else
            name = spec and spec.name
            layout = spec and spec.request
          end
          name = name or string.format("message 0x%02X", message_id)
          root:add(F.message, buf(0, 4), name)
          root:add(F.kind, buf(0, 4), kind)
          root:append_text(", " .. protocol_name .. " " .. name .. " " .. kind)
          if layout then
            local done = layout(buf, root, off, {}, len)
            if done >= 0 and done < len then root:add(F.extra, buf(done, len - done)) end
          end
          local info = protocol_name .. " " .. name .. " " .. kind
          if kind ~= "notification" then info = info .. " token=" .. token end
          pinfo.cols.info = info
          return len
        end

        local encap = (wtap_encaps and wtap_encaps.USER0) or wtap.USER0
        DissectorTable.get("wtap_encap"):add(encap, vscmi)

        """;
}
