using System.Globalization;
using Vscmi.Platform.Model;

namespace Vscmi.Platform.Sensors;

/// <summary>Produces a sensor's value (in units of 10^unit_exponent) at a given time.</summary>
public abstract class SensorSource
{
    /// <summary>Reads the value; false when the source cannot be read (a missing file).</summary>
    public abstract bool TryRead(TimeSpan sinceStart, out long value);

    /// <summary>Makes the source a model describes (host sources read <paramref name="host"/> through <paramref name="files"/>).</summary>
    public static SensorSource Create(SensorModel sensor, HostModel host, Host.HostFiles files)
    {
        ArgumentNullException.ThrowIfNull(sensor);
        return sensor.Source.IsHost
            ? new Host.HostSensorSource(host, sensor.Source, sensor.UnitExponent, TimeSpan.FromSeconds(Math.Max(1, sensor.UpdateIntervalSeconds)), files)
            : Create(sensor.Source);
    }

    /// <summary>Makes a simulated source (or a file source) a model describes.</summary>
    public static SensorSource Create(SensorSourceModel model) => model.Kind switch
    {
        SensorSourceKind.Constant => new Function(_ => model.Value),
        SensorSourceKind.Sine => new Function(t => model.Base + (model.Amplitude * Math.Sin(2 * Math.PI * t.TotalSeconds / model.PeriodSeconds))),
        SensorSourceKind.Ramp => new Function(t => model.Start + (model.SlopePerSecond * t.TotalSeconds)),
        SensorSourceKind.RandomWalk => new RandomWalk(model),
        _ => new FileSource(model.Path!, model.Scale),
    };

    private sealed class Function(Func<TimeSpan, double> f) : SensorSource
    {
        public override bool TryRead(TimeSpan sinceStart, out long value)
        {
            value = (long)Math.Round(f(sinceStart));
            return true;
        }
    }

    /// <summary>One bounded step per read; the seed makes a run repeatable.</summary>
    private sealed class RandomWalk(SensorSourceModel model) : SensorSource
    {
        private readonly Random _random = new(model.Seed);
        private readonly Lock _sync = new();
        private double _value = model.Start;

        public override bool TryRead(TimeSpan sinceStart, out long value)
        {
            lock (_sync)
            {
                _value = Math.Clamp(_value + (model.Step * (_random.Next(3) - 1)), model.Min, model.Max);
                value = (long)Math.Round(_value);
            }

            return true;
        }
    }

    /// <summary>Reads the first number in a file (a host sysfs file such as thermal_zone0/temp).</summary>
    private sealed class FileSource(string path, double scale) : SensorSource
    {
        public override bool TryRead(TimeSpan sinceStart, out long value)
        {
            value = 0;
            try
            {
                var text = File.ReadAllText(path).Trim();
                var first = text.Split((char[])[' ', '\n', '\t'], 2)[0];
                if (!double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    return false;
                value = (long)Math.Round(number * scale);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
