package dev.fanout.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws median latency against N, log-log, one line per method, with the headless AWT. */
final class Plot {
  private static final Color[] COLORS = {
    new Color(0x222222), new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c),
    new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)
  };

  private Plot() {}

  static void render(List<Bench.Row> rows, Path file, int delayMs) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int w = 900;
    int h = 600;
    int left = 80;
    int right = 220;
    int top = 50;
    int bottom = 60;
    Map<String, List<Bench.Row>> byMethod = new LinkedHashMap<>();
    double minN = Double.MAX_VALUE;
    double maxN = 0;
    double minY = Double.MAX_VALUE;
    double maxY = 0;
    for (Bench.Row r : rows) {
      byMethod.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r);
      minN = Math.min(minN, r.n());
      maxN = Math.max(maxN, r.n());
      minY = Math.min(minY, r.median());
      maxY = Math.max(maxY, r.median());
    }
    double lx0 = Math.log10(minN) - 0.1;
    double lx1 = Math.log10(maxN) + 0.1;
    double ly0 = Math.floor(Math.log10(Math.min(minY, delayMs)));
    double ly1 = Math.ceil(Math.log10(maxY));
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int pw = w - left - right;
    int ph = h - top - bottom;
    g.setColor(new Color(0xdddddd));
    for (double e = ly0; e <= ly1; e++) {
      int y = top + ph - (int) ((e - ly0) / (ly1 - ly0) * ph);
      g.drawLine(left, y, left + pw, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(String.format(Locale.ROOT, "%,.0f ms", Math.pow(10, e)), 10, y + 4);
      g.setColor(new Color(0xdddddd));
    }
    for (Bench.Row r : byMethod.values().iterator().next()) {
      int x = left + (int) ((Math.log10(r.n()) - lx0) / (lx1 - lx0) * pw);
      g.drawLine(x, top, x, top + ph);
      g.setColor(Color.DARK_GRAY);
      g.drawString("N=" + r.n(), x - 18, top + ph + 20);
      g.setColor(new Color(0xdddddd));
    }
    g.setColor(Color.BLACK);
    g.drawRect(left, top, pw, ph);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString("One complete fan-out (all acks in), median; endpoints answer after D = " + delayMs + " ms",
        left, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int i = 0;
    for (Map.Entry<String, List<Bench.Row>> e : byMethod.entrySet()) {
      Color c = COLORS[i % COLORS.length];
      g.setColor(c);
      g.setStroke(new BasicStroke(2f));
      int px = -1;
      int py = -1;
      for (Bench.Row r : e.getValue()) {
        int x = left + (int) ((Math.log10(r.n()) - lx0) / (lx1 - lx0) * pw);
        int y = top + ph - (int) ((Math.log10(r.median()) - ly0) / (ly1 - ly0) * ph);
        g.fillOval(x - 4, y - 4, 8, 8);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      int ly = top + 20 + i * 22;
      g.drawLine(left + pw + 20, ly, left + pw + 50, ly);
      g.drawString(e.getKey(), left + pw + 58, ly + 4);
      i++;
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }
}
