using System.Globalization;
using System.Text;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>C/Python strftime for the directives chat templates use (English names, glibc's <c>%-d</c> no-pad flag).</summary>
internal static class Strftime
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTimeOffset now, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }

            char d = format[++i];
            bool noPad = false;
            if (d == '-' && i + 1 < format.Length)
            {
                noPad = true;
                d = format[++i];
            }

            string Pad(int value, int width) => noPad ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', width), CultureInfo.InvariantCulture);

            string day = Days[(int)now.DayOfWeek];
            string month = Months[now.Month - 1];
            int hour12 = now.Hour % 12 == 0 ? 12 : now.Hour % 12;
            sb.Append(d switch
            {
                'a' => day[..3],
                'A' => day,
                'w' => ((int)now.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                'd' => Pad(now.Day, 2),
                'e' => noPad ? now.Day.ToString(CultureInfo.InvariantCulture) : now.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                'b' or 'h' => month[..3],
                'B' => month,
                'm' => Pad(now.Month, 2),
                'y' => Pad(now.Year % 100, 2),
                'Y' => now.Year.ToString(CultureInfo.InvariantCulture),
                'H' => Pad(now.Hour, 2),
                'I' => Pad(hour12, 2),
                'p' => now.Hour < 12 ? "AM" : "PM",
                'M' => Pad(now.Minute, 2),
                'S' => Pad(now.Second, 2),
                'f' => (now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
                'j' => Pad(now.DayOfYear, 3),
                'z' => (now.Offset < TimeSpan.Zero ? "-" : "+") + now.Offset.ToString("hhmm", CultureInfo.InvariantCulture),
                'F' => now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                'T' => now.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                'D' => now.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + d,
            });
        }

        return sb.ToString();
    }
}
